using System.Numerics;
using Nethereum.Web3;

namespace RenderNet.Payments;

/// <summary>Addresses of one deployment of RenderNet's contracts.</summary>
public sealed record PaymentContracts(string Token, string Registry, string Escrow)
{
    /// <summary>Deploys token (whole supply to the deployer), registry and escrow.</summary>
    public static async Task<PaymentContracts> DeployAsync(Web3 web3, BigInteger supply, ulong unbondingDelaySeconds, ulong unlockDelaySeconds)
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
        string registry = await Deploy(ContractArtifact.NodeRegistry, token, unbondingDelaySeconds);
        string escrow = await Deploy(ContractArtifact.TileEscrow, token, unlockDelaySeconds);
        return new PaymentContracts(token, registry, escrow);
    }
}
