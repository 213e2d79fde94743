// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title Where render nodes announce themselves: address, gRPC endpoint, price per tile and a stake in tokens.
/// @notice Stake leaves only through unbonding: a node asks to withdraw an amount and may take it after a delay.
/// Stake answers for lies: a node signs every result it delivers (EIP-712 WorkResult under this registry's domain);
/// anyone holding its signed result together with the signed results of two other registered nodes, each staking at
/// least minStake, that agree with each other and differ from it for the same work (spec, unit, pipeline) slashes its
/// whole stake, unbonding included: slashRewardBps of it to the presenter, the rest burned. The node is delisted and
/// may not register again; the same evidence cannot be used twice.
contract NodeRegistry is ReentrancyGuard, EIP712 {
    using SafeERC20 for IERC20;

    struct Node {
        string endpoint;
        uint256 pricePerTile;
        uint256 stake;
        uint256 unbonding;
        uint64 unbondingEnds;
        bool registered;
        bool slashed;
    }

    bytes32 public constant WORK_RESULT_TYPEHASH =
        keccak256("WorkResult(bytes32 job,bytes32 spec,bytes32 unit,bytes32 result,bytes32 pipeline)");
    /// @notice Where the part of a slashed stake that is not a reward goes: no one holds its key.
    address public constant BURN = 0x000000000000000000000000000000000000dEaD;

    IERC20 public immutable token;
    uint64 public immutable unbondingDelay;
    /// @notice The stake each of the two witnesses must hold for their results to convict a third node.
    uint256 public immutable minStake;
    /// @notice The presenter's share of a slashed stake, in basis points; the rest is burned.
    uint16 public immutable slashRewardBps;
    /// @notice Evidence already used, by keccak256(node, spec, unit).
    mapping(bytes32 => bool) public evidenceUsed;
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
    event Slashed(address indexed node, address indexed presenter, uint256 amount, uint256 reward, bytes32 spec, bytes32 unit);

    error AlreadyRegistered();
    error NotRegistered();
    error EmptyEndpoint();
    error EndpointTooLong(uint256 length);
    error InsufficientStake(uint256 stake, uint256 requested);
    error UnbondingNotDue(uint64 endsAt);
    error NothingToWithdraw();
    error SlashedNode();
    error RewardTooHigh(uint16 bps);
    error WitnessesDisagree();
    error ResultsAgree();
    error SignersNotDistinct();
    error WitnessNotStaked(address witness, uint256 stake);
    error EvidenceUsed();
    error NothingToSlash();

    constructor(IERC20 token_, uint64 unbondingDelay_, uint256 minStake_, uint16 slashRewardBps_) EIP712("RenderNet NodeRegistry", "1") {
        if (slashRewardBps_ > 10_000) revert RewardTooHigh(slashRewardBps_);
        token = token_;
        unbondingDelay = unbondingDelay_;
        minStake = minStake_;
        slashRewardBps = slashRewardBps_;
    }

    function register(string calldata endpoint, uint256 pricePerTile, uint256 stake) external nonReentrant {
        Node storage n = nodes[msg.sender];
        if (n.slashed) revert SlashedNode();
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
        _delist(msg.sender);
        emit NodeDeregistered(msg.sender);
    }

    function _delist(address node) private {
        nodes[node].registered = false;
        uint256 position = listIndex[node] - 1;
        address last = nodeList[nodeList.length - 1];
        nodeList[position] = last;
        listIndex[last] = position + 1;
        nodeList.pop();
        delete listIndex[node];
    }

    /// @notice Slashes the node that signed `results[0]` for work (spec, unit, pipeline) when two other registered nodes,
    /// each staking at least minStake, signed `results[1] == results[2] != results[0]` for the same work.
    /// @param jobs The job each result was signed for (any: a check may come from another job of the same work).
    /// @param signatures 65-byte signatures of the accused and the two witnesses, in that order.
    function slash(bytes32 spec, bytes32 unit, bytes32 pipeline, bytes32[3] calldata jobs, bytes32[3] calldata results, bytes[3] calldata signatures)
        external nonReentrant
    {
        if (results[1] != results[2]) revert WitnessesDisagree();
        if (results[0] == results[1]) revert ResultsAgree();
        address accused = _signer(jobs[0], spec, unit, results[0], pipeline, signatures[0]);
        _checkWitnesses(accused, _signer(jobs[1], spec, unit, results[1], pipeline, signatures[1]),
            _signer(jobs[2], spec, unit, results[2], pipeline, signatures[2]));
        _punish(accused, spec, unit);
    }

    function _checkWitnesses(address accused, address a, address b) private view {
        if (accused == a || accused == b || a == b) revert SignersNotDistinct();
        _checkWitness(a);
        _checkWitness(b);
    }

    function _punish(address accused, bytes32 spec, bytes32 unit) private {
        bytes32 id = keccak256(abi.encode(accused, spec, unit));
        if (evidenceUsed[id]) revert EvidenceUsed();
        Node storage n = nodes[accused];
        uint256 amount = n.stake + n.unbonding;
        if (amount == 0) revert NothingToSlash();
        evidenceUsed[id] = true;
        n.stake = 0;
        n.unbonding = 0;
        n.slashed = true;
        if (n.registered) _delist(accused);
        uint256 reward = amount * slashRewardBps / 10_000;
        emit Slashed(accused, msg.sender, amount, reward, spec, unit);
        if (reward > 0) token.safeTransfer(msg.sender, reward);
        if (amount > reward) token.safeTransfer(BURN, amount - reward);
    }

    /// @dev OpenZeppelin's recover: reverts on malformed, high-s or wrong-v signatures, as a slash must.
    function _signer(bytes32 job, bytes32 spec, bytes32 unit, bytes32 result, bytes32 pipeline, bytes calldata signature) private view returns (address) {
        bytes32 digest = _hashTypedDataV4(keccak256(abi.encode(WORK_RESULT_TYPEHASH, job, spec, unit, result, pipeline)));
        return ECDSA.recover(digest, signature);
    }

    function _checkWitness(address witness) private view {
        Node storage n = nodes[witness];
        if (!n.registered || n.slashed || n.stake < minStake) revert WitnessNotStaked(witness, n.stake);
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
