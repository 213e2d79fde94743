using System.Numerics;
using Nethereum.Web3;

namespace RenderNet.Payments;

/// <summary>Addresses of one deployment of RenderNet's contracts.</summary>
public sealed record PaymentContracts(string Token, string Registry, string Escrow)
{
    /// <summary>The stake each of two witnesses needs for their results to slash a third node, unless told otherwise: 10 tokens.</summary>
    public static readonly BigInteger DefaultMinStake = BigInteger.Pow(10, 19);
    /// <summary>The presenter's share of a slashed stake unless told otherwise (basis points): 10 %, the rest is burned.</summary>
    public const ushort DefaultSlashRewardBps = 1000;

    /// <summary>Deploys token (whole supply to the deployer), registry and escrow.</summary>
    /// <param name="minStake">The registry's witness stake (<see cref="DefaultMinStake"/> when null).</param>
    public static async Task<PaymentContracts> DeployAsync(Web3 web3, BigInteger supply, ulong unbondingDelaySeconds, ulong unlockDelaySeconds,
        BigInteger? minStake = null, ushort slashRewardBps = DefaultSlashRewardBps)
    {
        string from = web3.TransactionManager.Account.Address;
        async Task<string> Deploy(ContractArtifact artifact, params object[] args)
        {
            var gas = await web3.Eth.DeployContract.EstimateGasAsync(artifact.Abi, artifact.Bytecode, from, args);
            var receipt = await web3.Eth.DeployContract.SendRequestAndWaitForReceiptAsync(artifact.Abi, artifact.Bytecode, from, gas, null, args);
            if (receipt.Status.Value != 1 || receipt.ContractAddress is null) throw new PaymentException($"deploying {artifact.Name} failed");
            return receipt.ContractAddress;
        }
        string token = await Deploy(ContractArtifact.RenderToken, supply);
        string registry = await Deploy(ContractArtifact.NodeRegistry, token, unbondingDelaySeconds, minStake ?? DefaultMinStake, slashRewardBps);
        string escrow = await Deploy(ContractArtifact.TileEscrow, token, unlockDelaySeconds);
        return new PaymentContracts(token, registry, escrow);
    }
}
