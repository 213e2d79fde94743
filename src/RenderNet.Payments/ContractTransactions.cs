using Nethereum.Contracts;
using Nethereum.RPC.Eth.DTOs;

namespace RenderNet.Payments;

/// <summary>How every client sends a contract transaction: gas estimated first (a revert surfaces there, named by the
/// contract's custom error), then sent and awaited; a failed receipt or a refusal becomes a <see cref="PaymentException"/>.</summary>
static class ContractTransactions
{
    /// <summary>
    /// How long a sent transaction's receipt is awaited: Nethereum polls for ever, and a transaction the chain dropped
    /// (or one stuck behind a nonce gap) must not hold a job or a node for ever.
    /// </summary>
    public static TimeSpan ReceiptTimeout { get; } = TimeSpan.FromMinutes(10);

    public static async Task<TransactionReceipt> SendAsync(this Contract contract, string from, string function, params object[] args)
    {
        var fn = contract.GetFunction(function);
        try
        {
            var gas = await fn.EstimateGasAsync(from, null, null, args);
            using var wait = new CancellationTokenSource(ReceiptTimeout);
            TransactionReceipt receipt;
            try { receipt = await fn.SendTransactionAndWaitForReceiptAsync(from, gas, null, wait, args); }
            catch (OperationCanceledException ex) when (wait.IsCancellationRequested)
            {
                throw new PaymentException($"{function}: no receipt within {ReceiptTimeout.TotalMinutes:0} minutes; the transaction may still be mined, check the chain before sending it again", ex);
            }
            if (receipt.Status.Value != 1) throw new PaymentException($"{function} failed in transaction {receipt.TransactionHash}");
            return receipt;
        }
        catch (Exception ex) when (ex is not PaymentException && RevertReasons.Describe(ex) is { } reason)
        {
            throw new PaymentException($"{function} was refused by the contract: {reason}", ex);
        }
    }
}
