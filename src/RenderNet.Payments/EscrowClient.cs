using System.Numerics;
using Nethereum.Contracts;
using Nethereum.Hex.HexConvertors.Extensions;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;

namespace RenderNet.Payments;

/// <summary>A channel as stored on chain.</summary>
public sealed record ChannelState(string Payer, string Node, BigInteger Deposit, BigInteger Claimed, BigInteger Tiles, ulong UnlockAt, bool Closed);

/// <summary>What one Redeemed event says: the node was paid <paramref name="Paid"/> on its channel, up to a cumulative amount.</summary>
public sealed record RedeemedAmount(BigInteger Channel, string Node, BigInteger CumulativeAmount, BigInteger Tiles, BigInteger Paid);

/// <summary>A mined transaction and the escrow redeems it made (none if it was no redeem, or it reverted).</summary>
public sealed record RedeemTransaction(string Hash, ulong Block, bool Succeeded, string From, string? To, BigInteger GasUsed, IReadOnlyList<RedeemedAmount> Redeemed);

/// <summary>Calls on a deployed TileEscrow (and its token) from one account.</summary>
public sealed class EscrowClient(Web3 web3, string escrowAddress, string tokenAddress) : IVoucherChain
{
    readonly Contract escrow = web3.Eth.GetContract(ContractArtifact.TileEscrow.Abi, escrowAddress);
    readonly Contract token = web3.Eth.GetContract(ContractArtifact.RenderToken.Abi, tokenAddress);
    string From => web3.TransactionManager.Account.Address;

    public string Address => escrowAddress;

    Task<TransactionReceipt> Send(Contract contract, string function, params object[] args) => contract.SendAsync(From, function, args);

    public Task<BigInteger> BalanceOfAsync(string account) => token.GetFunction("balanceOf").CallAsync<BigInteger>(account);

    /// <summary>Approves the escrow and opens a channel for <paramref name="node"/> with <paramref name="deposit"/>; returns its id and the gas of both transactions.</summary>
    public async Task<(BigInteger Channel, BigInteger GasUsed)> OpenAsync(string node, BigInteger deposit)
    {
        var approve = await Send(token, "approve", escrowAddress, deposit);
        var receipt = await Send(escrow, "open", node, deposit);
        var opened = escrow.GetEvent("ChannelOpened").DecodeAllEventsDefaultForEvent(receipt.Logs).Single();
        return ((BigInteger)opened.Event.Single(p => p.Parameter.Name == "channel").Result, approve.GasUsed.Value + receipt.GasUsed.Value);
    }

    public async Task<TransactionReceipt> TopUpAsync(BigInteger channel, BigInteger amount)
    {
        await Send(token, "approve", escrowAddress, amount);
        return await Send(escrow, "topUp", channel, amount);
    }

    public Task<TransactionReceipt> RedeemAsync(Voucher voucher) =>
        Send(escrow, "redeem", voucher.Channel, voucher.CumulativeAmount, voucher.Tiles, voucher.Signature.HexToByteArray());

    public async Task<string?> SimulateRedeemAsync(Voucher voucher)
    {
        var input = escrow.GetFunction("redeem").CreateCallInput(From, null, null,
            voucher.Channel, voucher.CumulativeAmount, voucher.Tiles, voucher.Signature.HexToByteArray());
        try
        {
            await web3.Eth.Transactions.Call.SendRequestAsync(input, BlockParameter.CreateLatest());
            return null;
        }
        catch (Exception ex) when (RevertReasons.Describe(ex) is { } reason)
        {
            return reason;
        }
        catch (Exception ex) when (ex is not PaymentException and not OutOfMemoryException)
        {
            throw new PaymentException($"the chain could not simulate a redeem on channel {voucher.Channel}: {ex.Message}", ex);
        }
    }

    public Task<TransactionReceipt> RequestUnlockAsync(BigInteger channel) => Send(escrow, "requestUnlock", channel);

    public Task<TransactionReceipt> ReclaimAsync(BigInteger channel) => Send(escrow, "reclaim", channel);

    /// <summary>
    /// What identifies the chain this client talks to: its id (as the RPC reports it) and the hash of its genesis block —
    /// two chains with the same id and contract addresses (two local test chains) still differ there.
    /// </summary>
    public async Task<(long ChainId, string Genesis)> ChainIdentityAsync()
    {
        var id = await web3.Eth.ChainId.SendRequestAsync();
        var genesis = await web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(new BlockParameter(0));
        return ((long)id.Value, genesis.BlockHash);
    }

    /// <summary>Ids of every channel <paramref name="payer"/> opened on this escrow (from the indexed ChannelOpened events).</summary>
    public async Task<IReadOnlyList<BigInteger>> ChannelsOpenedByAsync(string payer)
    {
        string signature = "0x" + Nethereum.Util.Sha3Keccack.Current.CalculateHash("ChannelOpened(uint256,address,address,uint256)");
        string payerTopic = "0x" + payer.ToLowerInvariant().Replace("0x", "").PadLeft(64, '0');
        var logs = await web3.Eth.Filters.GetLogs.SendRequestAsync(new NewFilterInput
        {
            Address = [escrowAddress], FromBlock = BlockParameter.CreateEarliest(), ToBlock = BlockParameter.CreateLatest(),
            Topics = [signature, null!, payerTopic],
        });
        return logs.Select(l => new BigInteger(Convert.FromHexString(((string)l.Topics[1]).Replace("0x", "")), isUnsigned: true, isBigEndian: true))
            .Distinct().Order().ToList();
    }

    public async Task<ulong> BlockNumberAsync()
    {
        try { return (ulong)(await web3.Eth.Blocks.GetBlockNumber.SendRequestAsync()).Value; }
        catch (Exception ex) when (ex is not PaymentException and not OutOfMemoryException) { throw new PaymentException($"the chain cannot be read: {ex.Message}", ex); }
    }

    /// <summary>Which of <paramref name="channels"/> had an unlock requested in blocks <paramref name="from"/>..<paramref name="to"/> (one eth_getLogs).</summary>
    public async Task<IReadOnlyList<BigInteger>> UnlocksRequestedAsync(IReadOnlyList<BigInteger> channels, ulong from, ulong to)
    {
        string signature = "0x" + Nethereum.Util.Sha3Keccack.Current.CalculateHash("UnlockRequested(uint256,uint64)");
        var topics = channels.Select(c => "0x" + Convert.ToHexStringLower(c.ToByteArray(isUnsigned: true, isBigEndian: true)).PadLeft(64, '0')).ToArray();
        try
        {
            var logs = await web3.Eth.Filters.GetLogs.SendRequestAsync(new NewFilterInput
            {
                Address = [escrowAddress], FromBlock = new BlockParameter(from), ToBlock = new BlockParameter(to), Topics = [signature, topics],
            });
            return logs.Select(l => new BigInteger(Convert.FromHexString(((string)l.Topics[1]).Replace("0x", "")), isUnsigned: true, isBigEndian: true)).Distinct().ToList();
        }
        catch (Exception ex) when (ex is not PaymentException and not OutOfMemoryException) { throw new PaymentException($"the chain cannot be read: {ex.Message}", ex); }
    }

    /// <summary>The chain's latest block time (what unlock deadlines are compared with).</summary>
    public async Task<ulong> ChainTimeAsync()
    {
        var block = await web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(BlockParameter.CreateLatest());
        return (ulong)block.Timestamp.Value;
    }

    /// <summary>Seconds between a payer's unlock request and its reclaim: the node's window to redeem.</summary>
    public async Task<ulong> UnlockDelayAsync() => (ulong)await escrow.GetFunction("unlockDelay").CallAsync<System.Numerics.BigInteger>();

    /// <summary>
    /// A transaction's receipt as the chain holds it, with the escrow's Redeemed events in it; null when the chain knows
    /// no such (mined) transaction.
    /// </summary>
    public async Task<RedeemTransaction?> RedeemTransactionAsync(string hash)
    {
        TransactionReceipt? receipt;
        try { receipt = await web3.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(hash); }
        catch (Exception ex) when (ex is not OutOfMemoryException) { throw new PaymentException($"the chain cannot be read: {ex.Message}", ex); }
        if (receipt is null) return null;
        var redeemed = escrow.GetEvent("Redeemed").DecodeAllEventsDefaultForEvent(
                receipt.Logs.Where(l => string.Equals(l.Address, escrowAddress, StringComparison.OrdinalIgnoreCase)).ToArray())
            .Select(e =>
            {
                object Value(string name) => e.Event.Single(p => p.Parameter.Name == name).Result;
                return new RedeemedAmount((BigInteger)Value("channel"), (string)Value("node"), (BigInteger)Value("cumulativeAmount"), (BigInteger)Value("tiles"), (BigInteger)Value("paid"));
            }).ToList();
        return new RedeemTransaction(receipt.TransactionHash, (ulong)receipt.BlockNumber.Value, receipt.Status?.Value == 1, receipt.From, receipt.To,
            receipt.GasUsed.Value, redeemed);
    }

    public async Task<ChannelState> ChannelAsync(BigInteger channel)
    {
        var r = await escrow.GetFunction("channels").CallDecodingToDefaultAsync(channel);
        return new ChannelState((string)r[0].Result, (string)r[1].Result, (BigInteger)r[2].Result, (BigInteger)r[3].Result,
            (BigInteger)r[4].Result, (ulong)(BigInteger)r[5].Result, (bool)r[6].Result);
    }
}

/// <summary>A payment operation failed or was refused by the contract.</summary>
public sealed class PaymentException(string message, Exception? inner = null) : Exception(message, inner);
