using System.Diagnostics;
using RenderNet.Core.Tests;

namespace RenderNet.Vulkan.Tests;

/// <summary>The MSBuild target that compiles shaders/ with glslc: its output is what is embedded, and a missing glslc says how to get it.</summary>
public class ShaderBuildTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("rendernet-spirv").FullName;
    public void Dispose() => Directory.Delete(dir, true);

    (int ExitCode, string Output) CompileShaders(string glslc)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "msbuild", Path.Combine(SharedData.RepoRoot, "src", "RenderNet.Vulkan", "RenderNet.Vulkan.csproj"),
                     "-t:CompileShaders", $"-p:Glslc={glslc}", $"-p:BaseIntermediateOutputPath={dir}/", "-nologo", "-v:q" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output);
    }

    [Fact]
    public void A_missing_glslc_fails_the_build_saying_how_to_install_it()
    {
        var (code, output) = CompileShaders("glslc-not-installed");
        Assert.NotEqual(0, code);
        Assert.Contains("was not found", output);
        Assert.Contains("apt-get install glslc", output);
    }

    [Fact]
    public void The_embedded_spirv_is_what_glslc_makes_of_the_shader_sources()
    {
        var (code, output) = CompileShaders("glslc");
        Assert.True(code == 0, output);
        var fresh = File.ReadAllBytes(Path.Combine(dir, "spirv", ShaderLibrary.PathTracer + ".spv"));
        Assert.Equal(0x07230203u, BitConverter.ToUInt32(fresh, 0)); // SPIR-V magic
        Assert.Equal(fresh, ShaderLibrary.Load(ShaderLibrary.PathTracer));
    }
}
