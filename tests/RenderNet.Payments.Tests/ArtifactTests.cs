using System.Diagnostics;
using RenderNet.Core.Tests;

namespace RenderNet.Payments.Tests;

public class ArtifactTests
{
    [Fact]
    public void Committed_abi_and_bytecode_match_the_solidity_sources()
    {
        var psi = new ProcessStartInfo("node") { RedirectStandardError = true, RedirectStandardOutput = true, WorkingDirectory = Path.Combine(SharedData.RepoRoot, "contracts") };
        psi.ArgumentList.Add("compile.js");
        psi.ArgumentList.Add("--check");
        using var p = Process.Start(psi)!;
        string errors = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, errors);
    }

    [Fact]
    public void Artifacts_are_embedded_with_abi_and_bytecode()
    {
        foreach (var a in new[] { ContractArtifact.RenderToken, ContractArtifact.NodeRegistry, ContractArtifact.TileEscrow })
        {
            Assert.Matches("^0x[0-9a-f]{1000,}$", a.Bytecode);
            using var abi = System.Text.Json.JsonDocument.Parse(a.Abi);
            Assert.Contains(abi.RootElement.EnumerateArray(), e => e.GetProperty("type").GetString() == "function");
        }
        Assert.Contains("redeem", ContractArtifact.TileEscrow.Abi);
        Assert.Contains("permit", ContractArtifact.RenderToken.Abi);
    }
}
