// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title Where render nodes announce themselves: address, gRPC endpoint, price per tile and a stake in tokens.
/// @notice Stake leaves only through unbonding: a node asks to withdraw an amount and may take it after a delay.
contract NodeRegistry is ReentrancyGuard {
    using SafeERC20 for IERC20;

    struct Node {
        string endpoint;
        uint256 pricePerTile;
        uint256 stake;
        uint256 unbonding;
        uint64 unbondingEnds;
        bool registered;
    }

    IERC20 public immutable token;
    uint64 public immutable unbondingDelay;
    /// @notice Longest endpoint accepted: an https URL with a certificate fingerprint fits with room to spare.
    uint256 public constant MAX_ENDPOINT_BYTES = 256;
    /// @notice Most entries one nodesPage call returns.
    uint256 public constant MAX_PAGE = 100;

    mapping(address => Node) public nodes;
    address[] private nodeList;
    /// @dev Position + 1 of each listed node in nodeList (0: not listed), so a node can leave the list in O(1).
    mapping(address => uint256) private listIndex;

    event NodeRegistered(address indexed node, string endpoint, uint256 pricePerTile, uint256 stake);
    event NodeUpdated(address indexed node, string endpoint, uint256 pricePerTile);
    event StakeAdded(address indexed node, uint256 amount);
    event UnbondingStarted(address indexed node, uint256 amount, uint64 endsAt);
    event StakeWithdrawn(address indexed node, uint256 amount);
    event NodeDeregistered(address indexed node);

    error AlreadyRegistered();
    error NotRegistered();
    error EmptyEndpoint();
    error EndpointTooLong(uint256 length);
    error InsufficientStake(uint256 stake, uint256 requested);
    error UnbondingNotDue(uint64 endsAt);
    error NothingToWithdraw();

    constructor(IERC20 token_, uint64 unbondingDelay_) {
        token = token_;
        unbondingDelay = unbondingDelay_;
    }

    function register(string calldata endpoint, uint256 pricePerTile, uint256 stake) external nonReentrant {
        Node storage n = nodes[msg.sender];
        if (n.registered) revert AlreadyRegistered();
        _checkEndpoint(endpoint);
        n.endpoint = endpoint;
        n.pricePerTile = pricePerTile;
        n.stake += stake; // a node that deregistered keeps its stake (and any unbonding) when it comes back
        n.registered = true;
        nodeList.push(msg.sender);
        listIndex[msg.sender] = nodeList.length;
        emit NodeRegistered(msg.sender, endpoint, pricePerTile, stake);
        if (stake > 0) token.safeTransferFrom(msg.sender, address(this), stake);
    }

    function update(string calldata endpoint, uint256 pricePerTile) external {
        Node storage n = nodes[msg.sender];
        if (!n.registered) revert NotRegistered();
        _checkEndpoint(endpoint);
        n.endpoint = endpoint;
        n.pricePerTile = pricePerTile;
        emit NodeUpdated(msg.sender, endpoint, pricePerTile);
    }

    /// @notice Leaves the list coordinators read; the stake stays and leaves only through unbonding.
    function deregister() external {
        Node storage n = nodes[msg.sender];
        if (!n.registered) revert NotRegistered();
        n.registered = false;
        uint256 position = listIndex[msg.sender] - 1;
        address last = nodeList[nodeList.length - 1];
        nodeList[position] = last;
        listIndex[last] = position + 1;
        nodeList.pop();
        delete listIndex[msg.sender];
        emit NodeDeregistered(msg.sender);
    }

    function _checkEndpoint(string calldata endpoint) private pure {
        if (bytes(endpoint).length == 0) revert EmptyEndpoint();
        if (bytes(endpoint).length > MAX_ENDPOINT_BYTES) revert EndpointTooLong(bytes(endpoint).length);
    }

    function addStake(uint256 amount) external nonReentrant {
        Node storage n = nodes[msg.sender];
        if (!n.registered) revert NotRegistered();
        n.stake += amount;
        emit StakeAdded(msg.sender, amount);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Moves `amount` of stake into unbonding; the delay restarts with every request.
    function startUnbonding(uint256 amount) external {
        Node storage n = nodes[msg.sender];
        if (!n.registered) revert NotRegistered();
        if (amount > n.stake) revert InsufficientStake(n.stake, amount);
        n.stake -= amount;
        n.unbonding += amount;
        n.unbondingEnds = uint64(block.timestamp) + unbondingDelay;
        emit UnbondingStarted(msg.sender, amount, n.unbondingEnds);
    }

    function withdraw() external nonReentrant {
        Node storage n = nodes[msg.sender];
        uint256 amount = n.unbonding;
        if (amount == 0) revert NothingToWithdraw();
        if (block.timestamp < n.unbondingEnds) revert UnbondingNotDue(n.unbondingEnds);
        n.unbonding = 0;
        emit StakeWithdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    function nodeCount() external view returns (uint256) {
        return nodeList.length;
    }

    function nodeAt(uint256 index) external view returns (address node, string memory endpoint, uint256 pricePerTile, uint256 stake) {
        node = nodeList[index];
        Node storage n = nodes[node];
        return (node, n.endpoint, n.pricePerTile, n.stake);
    }

    /// @notice Up to MAX_PAGE listed nodes from `from`: one call instead of one per node.
    function nodesPage(uint256 from, uint256 count)
        external view returns (address[] memory addrs, string[] memory endpoints, uint256[] memory prices, uint256[] memory stakes)
    {
        uint256 end = from >= nodeList.length ? from : from + (count > MAX_PAGE ? MAX_PAGE : count);
        if (end > nodeList.length) end = nodeList.length;
        uint256 size = end - from;
        addrs = new address[](size);
        endpoints = new string[](size);
        prices = new uint256[](size);
        stakes = new uint256[](size);
        for (uint256 i = 0; i < size; i++) {
            address a = nodeList[from + i];
            Node storage n = nodes[a];
            (addrs[i], endpoints[i], prices[i], stakes[i]) = (a, n.endpoint, n.pricePerTile, n.stake);
        }
    }
}
