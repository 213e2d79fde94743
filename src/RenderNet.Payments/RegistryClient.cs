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

    /// <summary>Whether this account is registered now (the registry's own record, not a guess from a failed call).</summary>
    public async Task<bool> IsRegisteredAsync()
    {
        var fields = await registry.GetFunction("nodes").CallDecodingToDefaultAsync(From);
        return fields.Single(f => f.Parameter.Name == "registered").Result is true;
    }

    /// <summary>Registers this account's endpoint and price, or updates them when it is registered already.</summary>
    public async Task RegisterOrUpdateAsync(string endpoint, BigInteger pricePerTile, BigInteger stake)
    {
        if (await IsRegisteredAsync()) await UpdateAsync(endpoint, pricePerTile);
        else await RegisterAsync(endpoint, pricePerTile, stake);
    }

    public Task UpdateAsync(string endpoint, BigInteger pricePerTile) => Send(registry, "update", endpoint, pricePerTile);
    public Task StartUnbondingAsync(BigInteger amount) => Send(registry, "startUnbonding", amount);
    public Task WithdrawAsync() => Send(registry, "withdraw");

    public Task DeregisterAsync() => Send(registry, "deregister");

    /// <summary>A node's stake, what it is unbonding, and whether it was slashed (the registry's record).</summary>
    public async Task<(BigInteger Stake, BigInteger Unbonding, bool Registered, bool Slashed)> StandingOfAsync(string node)
    {
        var fields = await registry.GetFunction("nodes").CallDecodingToDefaultAsync(node);
        object Field(string name) => fields.Single(f => f.Parameter.Name == name).Result;
        return ((BigInteger)Field("stake"), (BigInteger)Field("unbonding"), Field("registered") is true, Field("slashed") is true);
    }

    /// <summary>The stake each witness of a slashing needs (the registry's minStake).</summary>
    public Task<BigInteger> MinStakeAsync() => registry.GetFunction("minStake").CallAsync<BigInteger>();

    /// <summary>The registry's domain for results its nodes sign.</summary>
    public async Task<RegistryDomain> DomainAsync() => new((long)(await web3.Eth.ChainId.SendRequestAsync()).Value, registryAddress);

    /// <summary>
    /// Presents evidence that <paramref name="accused"/> lied: its signed result and two witnesses' for the same work
    /// that agree with each other and not with it. The registry slashes the accused's whole stake (a share to this
    /// account) or reverts — witnesses not both registered with the minimum stake, evidence used before, signatures that
    /// are not canonical (<see cref="RevertReasons"/> names the contract's error).
    /// </summary>
    public Task<TransactionReceipt> SlashAsync(SignedWorkResult accused, SignedWorkResult a, SignedWorkResult b)
    {
        if (!accused.Result.SameWork(a.Result) || !accused.Result.SameWork(b.Result))
            throw new ArgumentException("evidence must be three results for the same spec, unit and pipeline");
        var all = new[] { accused, a, b };
        return Send(registry, "slash", accused.Result.Spec, accused.Result.Unit, accused.Result.Pipeline,
            all.Select(r => r.Result.Job).ToList(), all.Select(r => r.Result.Result).ToList(),
            all.Select(r => Convert.FromHexString(r.Signature.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? r.Signature[2..] : r.Signature)).ToList());
    }

    /// <summary>Largest registry scanned: past it the rest is ignored (a registry stuffed with junk costs a bounded read).</summary>
    public const int MaxEntries = 10_000;

    /// <summary>Every listed node, read a page (up to 100) per call, at most <see cref="MaxEntries"/>.</summary>
    public async Task<IReadOnlyList<RegisteredNode>> NodesAsync()
    {
        var count = await registry.GetFunction("nodeCount").CallAsync<BigInteger>();
        var nodes = new List<RegisteredNode>();
        var page = registry.GetFunction("nodesPage");
        for (BigInteger from = 0; from < BigInteger.Min(count, MaxEntries); from += 100)
        {
            var r = await page.CallDecodingToDefaultAsync(from, (BigInteger)100);
            var addresses = (List<string>)r[0].Result;
            var endpoints = (List<string>)r[1].Result;
            var prices = (List<BigInteger>)r[2].Result;
            var stakes = (List<BigInteger>)r[3].Result;
            if (addresses.Count == 0) break;
            for (int i = 0; i < addresses.Count; i++) nodes.Add(new RegisteredNode(addresses[i], endpoints[i], prices[i], stakes[i]));
        }
        return nodes;
    }
}
