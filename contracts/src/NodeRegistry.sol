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
    mapping(address => Node) public nodes;
    address[] private nodeList;

    event NodeRegistered(address indexed node, string endpoint, uint256 pricePerTile, uint256 stake);
    event NodeUpdated(address indexed node, string endpoint, uint256 pricePerTile);
    event StakeAdded(address indexed node, uint256 amount);
    event UnbondingStarted(address indexed node, uint256 amount, uint64 endsAt);
    event StakeWithdrawn(address indexed node, uint256 amount);

    error AlreadyRegistered();
    error NotRegistered();
    error EmptyEndpoint();
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
        if (bytes(endpoint).length == 0) revert EmptyEndpoint();
        n.endpoint = endpoint;
        n.pricePerTile = pricePerTile;
        n.stake = stake;
        n.registered = true;
        nodeList.push(msg.sender);
        emit NodeRegistered(msg.sender, endpoint, pricePerTile, stake);
        if (stake > 0) token.safeTransferFrom(msg.sender, address(this), stake);
    }

    function update(string calldata endpoint, uint256 pricePerTile) external {
        Node storage n = nodes[msg.sender];
        if (!n.registered) revert NotRegistered();
        if (bytes(endpoint).length == 0) revert EmptyEndpoint();
        n.endpoint = endpoint;
        n.pricePerTile = pricePerTile;
        emit NodeUpdated(msg.sender, endpoint, pricePerTile);
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
}
