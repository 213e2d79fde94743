using System.Numerics;
using Nethereum.Web3;

namespace RenderNet.Payments;

/// <summary>RenderToken calls from one account.</summary>
public sealed class TokenClient(Web3 web3, string tokenAddress)
{
    readonly Nethereum.Contracts.Contract token = web3.Eth.GetContract(ContractArtifact.RenderToken.Abi, tokenAddress);
    string From => web3.TransactionManager.Account.Address;

    public Task<BigInteger> BalanceOfAsync(string account) => token.GetFunction("balanceOf").CallAsync<BigInteger>(account);

    public Task<Nethereum.RPC.Eth.DTOs.TransactionReceipt> TransferAsync(string to, BigInteger amount) => token.SendAsync(From, "transfer", to, amount);
}
