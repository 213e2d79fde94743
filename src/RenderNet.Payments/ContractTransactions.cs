using Nethereum.Contracts;
using Nethereum.RPC.Eth.DTOs;

namespace RenderNet.Payments;

/// <summary>How every client sends a contract transaction: gas estimated first (a revert surfaces there, named by the
/// contract's custom error), then sent and awaited; a failed receipt or a refusal becomes a <see cref="PaymentException"/>.</summary>
static class ContractTransactions
{
    public static async Task<TransactionReceipt> SendAsync(this Contract contract, string from, string function, params object[] args)
    {
        var fn = contract.GetFunction(function);
        try
        {
            var gas = await fn.EstimateGasAsync(from, null, null, args);
            var receipt = await fn.SendTransactionAndWaitForReceiptAsync(from, gas, null, null, args);
            if (receipt.Status.Value != 1) throw new PaymentException($"{function} failed in transaction {receipt.TransactionHash}");
            return receipt;
        }
        catch (Exception ex) when (ex is not PaymentException && RevertReasons.Describe(ex) is { } reason)
        {
            throw new PaymentException($"{function} was refused by the contract: {reason}", ex);
        }
    }
}
