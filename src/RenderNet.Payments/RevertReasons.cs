using System.Text.Json;
using Nethereum.Contracts;
using Nethereum.JsonRpc.Client;
using Nethereum.Util;

namespace RenderNet.Payments;

/// <summary>Names the custom error a RenderNet contract reverted with (e.g. "AmountNotIncreasing"), from its 4-byte selector.</summary>
static class RevertReasons
{
    static readonly Dictionary<string, string> BySelector = Build();

    static Dictionary<string, string> Build()
    {
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var artifact in new[] { ContractArtifact.TileEscrow, ContractArtifact.NodeRegistry, ContractArtifact.RenderToken })
        {
            using var abi = JsonDocument.Parse(artifact.Abi);
            foreach (var item in abi.RootElement.EnumerateArray().Where(e => e.GetProperty("type").GetString() == "error"))
            {
                string name = item.GetProperty("name").GetString()!;
                string types = string.Join(",", item.GetProperty("inputs").EnumerateArray().Select(i => i.GetProperty("type").GetString()));
                string selector = Sha3Keccack.Current.CalculateHash($"{name}({types})")[..8];
                map.TryAdd(selector, name);
            }
        }
        return map;
    }

    /// <summary>The error's name when the exception carries revert data of a known error, else its message; null for non-revert failures.</summary>
    public static string? Describe(Exception ex)
    {
        string? data = ex switch
        {
            SmartContractCustomErrorRevertException custom => custom.ExceptionEncodedData,
            SmartContractCustomErrorRevertExceptionErrorDecoded decoded => decoded.ExceptionEncodedData,
            RpcResponseException rpc => rpc.RpcError?.Data?.ToString(),
            _ => null,
        };
        // Plain reverts (require messages) arrive as SmartContractRevertException, whose assembly we do not reference.
        if (data is null) return ex is RpcResponseException || ex.GetType().Name.Contains("Revert") ? ex.Message : null;
        string hex = data.Trim('"').StartsWith("0x") ? data.Trim('"')[2..] : data.Trim('"');
        return hex.Length >= 8 && BySelector.TryGetValue(hex[..8], out var name) ? name : ex.Message;
    }
}
