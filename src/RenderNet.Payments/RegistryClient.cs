using System.Numerics;
using Nethereum.Contracts;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;

namespace RenderNet.Payments;

/// <summary>A node as the registry lists it: where to reach it and what it charges.</summary>
public sealed record RegisteredNode(string Address, string Endpoint, BigInteger PricePerTile, BigInteger Stake);

/// <summary>Calls on a deployed NodeRegistry from one account; the coordinator discovers nodes through <see cref="NodesAsync"/>.</summary>
public sealed class RegistryClient(Web3 web3, string registryAddress, string tokenAddress)
{
    readonly Contract registry = web3.Eth.GetContract(ContractArtifact.NodeRegistry.Abi, registryAddress);
    readonly Contract token = web3.Eth.GetContract(ContractArtifact.RenderToken.Abi, tokenAddress);
    string From => web3.TransactionManager.Account.Address;

    Task<TransactionReceipt> Send(Contract contract, string function, params object[] args) => contract.SendAsync(From, function, args);

    public async Task RegisterAsync(string endpoint, BigInteger pricePerTile, BigInteger stake)
    {
        if (stake > 0) await Send(token, "approve", registryAddress, stake);
        await Send(registry, "register", endpoint, pricePerTile, stake);
    }

    public Task UpdateAsync(string endpoint, BigInteger pricePerTile) => Send(registry, "update", endpoint, pricePerTile);
    public Task StartUnbondingAsync(BigInteger amount) => Send(registry, "startUnbonding", amount);
    public Task WithdrawAsync() => Send(registry, "withdraw");

    public async Task<IReadOnlyList<RegisteredNode>> NodesAsync()
    {
        var count = await registry.GetFunction("nodeCount").CallAsync<BigInteger>();
        var nodes = new List<RegisteredNode>();
        for (BigInteger i = 0; i < count; i++)
        {
            var r = await registry.GetFunction("nodeAt").CallDecodingToDefaultAsync(i);
            nodes.Add(new RegisteredNode((string)r[0].Result, (string)r[1].Result, (BigInteger)r[2].Result, (BigInteger)r[3].Result));
        }
        return nodes;
    }
}
