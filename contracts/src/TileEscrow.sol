// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title Per-node payment channels for rendered tiles.
/// @notice A payer opens a channel for one node and deposits tokens earmarked for it. For every tile it receives, the
/// payer signs an EIP-712 voucher (channel, cumulativeAmount, tiles) off chain; the node redeems the latest one
/// whenever it likes and gets the difference to what it already claimed. The payer takes back the remainder only after
/// requesting an unlock and waiting out a delay, during which the node can still redeem.
contract TileEscrow is EIP712, ReentrancyGuard {
    using SafeERC20 for IERC20;

    bytes32 public constant VOUCHER_TYPEHASH = keccak256("Voucher(uint256 channel,uint256 cumulativeAmount,uint256 tiles)");

    struct Channel {
        address payer;
        address node;
        uint256 deposit;
        uint256 claimed;
        uint256 tiles;
        uint64 unlockAt;
        bool closed;
    }

    IERC20 public immutable token;
    uint64 public immutable unlockDelay;
    uint256 public channelCount;
    mapping(uint256 => Channel) public channels;

    event ChannelOpened(uint256 indexed channel, address indexed payer, address indexed node, uint256 deposit);
    event ToppedUp(uint256 indexed channel, uint256 amount, uint256 deposit);
    event Redeemed(uint256 indexed channel, address indexed node, uint256 cumulativeAmount, uint256 tiles, uint256 paid);
    event UnlockRequested(uint256 indexed channel, uint64 unlockAt);
    event Reclaimed(uint256 indexed channel, address indexed payer, uint256 amount);

    error UnknownChannel(uint256 channel);
    error NotPayer();
    error NotNode();
    error ChannelClosed(uint256 channel);
    error ZeroAmount();
    error AmountNotIncreasing(uint256 claimed, uint256 cumulativeAmount);
    error AmountExceedsDeposit(uint256 deposit, uint256 cumulativeAmount);
    error TilesNotIncreasing(uint256 tiles, uint256 newTiles);
    error BadSignature();
    error UnlockNotRequested();
    error UnlockNotDue(uint64 unlockAt);

    constructor(IERC20 token_, uint64 unlockDelay_) EIP712("RenderNet TileEscrow", "1") {
        token = token_;
        unlockDelay = unlockDelay_;
    }

    function open(address node, uint256 amount) external nonReentrant returns (uint256 id) {
        if (amount == 0) revert ZeroAmount();
        id = ++channelCount;
        channels[id] = Channel({payer: msg.sender, node: node, deposit: amount, claimed: 0, tiles: 0, unlockAt: 0, closed: false});
        emit ChannelOpened(id, msg.sender, node, amount);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Adds to the deposit; a pending unlock is cancelled, since the payer evidently wants to keep paying.
    function topUp(uint256 id, uint256 amount) external nonReentrant {
        Channel storage c = _channel(id);
        if (msg.sender != c.payer) revert NotPayer();
        if (c.closed) revert ChannelClosed(id);
        if (amount == 0) revert ZeroAmount();
        c.deposit += amount;
        c.unlockAt = 0;
        emit ToppedUp(id, amount, c.deposit);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    function redeem(uint256 id, uint256 cumulativeAmount, uint256 tiles, bytes calldata signature) external nonReentrant {
        Channel storage c = _channel(id);
        if (msg.sender != c.node) revert NotNode();
        if (c.closed) revert ChannelClosed(id);
        if (cumulativeAmount <= c.claimed) revert AmountNotIncreasing(c.claimed, cumulativeAmount);
        if (cumulativeAmount > c.deposit) revert AmountExceedsDeposit(c.deposit, cumulativeAmount);
        // The tile count is informational, but receipts and events are built from it: it may never go back.
        if (tiles < c.tiles) revert TilesNotIncreasing(c.tiles, tiles);
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(voucherDigest(id, cumulativeAmount, tiles), signature);
        if (err != ECDSA.RecoverError.NoError || signer != c.payer) revert BadSignature();
        uint256 paid = cumulativeAmount - c.claimed;
        c.claimed = cumulativeAmount;
        c.tiles = tiles;
        emit Redeemed(id, c.node, cumulativeAmount, tiles, paid);
        token.safeTransfer(c.node, paid);
    }

    function requestUnlock(uint256 id) external {
        Channel storage c = _channel(id);
        if (msg.sender != c.payer) revert NotPayer();
        if (c.closed) revert ChannelClosed(id);
        c.unlockAt = uint64(block.timestamp) + unlockDelay;
        emit UnlockRequested(id, c.unlockAt);
    }

    function reclaim(uint256 id) external nonReentrant {
        Channel storage c = _channel(id);
        if (msg.sender != c.payer) revert NotPayer();
        if (c.closed) revert ChannelClosed(id);
        if (c.unlockAt == 0) revert UnlockNotRequested();
        if (block.timestamp < c.unlockAt) revert UnlockNotDue(c.unlockAt);
        uint256 amount = c.deposit - c.claimed;
        c.closed = true;
        emit Reclaimed(id, c.payer, amount);
        if (amount > 0) token.safeTransfer(c.payer, amount);
    }

    /// @notice The EIP-712 digest a payer signs: bound to this contract and chain through the domain separator.
    function voucherDigest(uint256 id, uint256 cumulativeAmount, uint256 tiles) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(VOUCHER_TYPEHASH, id, cumulativeAmount, tiles)));
    }

    function _channel(uint256 id) private view returns (Channel storage c) {
        c = channels[id];
        if (c.payer == address(0)) revert UnknownChannel(id);
    }
}
