using System.Text.Json;

namespace RenderNet.Payments;

/// <summary>ABI and bytecode of one contract, as compiled by contracts/compile.js and embedded in this assembly.</summary>
public sealed record ContractArtifact(string Name, string Abi, string Bytecode)
{
    public static ContractArtifact Load(string name)
    {
        using var stream = typeof(ContractArtifact).Assembly.GetManifestResourceStream($"contracts/{name}.json")
            ?? throw new InvalidOperationException($"contract artifact {name} is not embedded");
        using var doc = JsonDocument.Parse(stream);
        return new ContractArtifact(name, doc.RootElement.GetProperty("abi").GetRawText(), doc.RootElement.GetProperty("bytecode").GetString()!);
    }

    public static ContractArtifact RenderToken { get; } = Load("RenderToken");
    public static ContractArtifact NodeRegistry { get; } = Load("NodeRegistry");
    public static ContractArtifact TileEscrow { get; } = Load("TileEscrow");
}
