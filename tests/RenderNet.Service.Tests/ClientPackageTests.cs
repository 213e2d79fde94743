using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using RenderNet.Client;

namespace RenderNet.Service.Tests;

/// <summary>What an engine takes on when it references RenderNet.Client: only the BCL and System.Text.Json, a C# 9 surface.</summary>
public sealed class ClientPackageTests
{
    static readonly string[] Forbidden = ["Grpc", "Google.Protobuf", "Nethereum", "Microsoft.Data.Sqlite", "SQLitePCL", "Silk.NET", "SixLabors", "SharpGLTF", "RenderNet.Farm", "RenderNet.Payments", "RenderNet.Core"];

    /// <summary>System.Text.Json and the packages it brings to .NET Standard 2.1, and nothing else beyond the framework.</summary>
    static readonly string[] AllowedPackages = ["System.Text.Json", "System.Text.Encodings.Web", "Microsoft.Bcl.AsyncInterfaces", "System.Memory", "System.Buffers",
        "System.Runtime.CompilerServices.Unsafe", "System.Threading.Tasks.Extensions", "System.Numerics.Vectors"];

    static IReadOnlyList<string> References(string dll)
    {
        using var pe = new PEReader(File.OpenRead(dll));
        var md = pe.GetMetadataReader();
        return md.AssemblyReferences.Select(h => md.GetString(md.GetAssemblyReference(h).Name)).ToList();
    }

    [Fact]
    public void The_netstandard21_closure_is_the_bcl_and_system_text_json()
    {
        // The engine stand-in's output holds the client with its whole closure beside it, as a Unity Plugins folder does.
        string dir = Path.GetDirectoryName(typeof(EngineHostTests).Assembly.Location)!;
        string standIn = Path.Combine(RepoRoot(), "tests", "EngineHosts", "UnityStandIn", "bin", new DirectoryInfo(dir).Parent!.Name, "netstandard2.1");
        var seen = new HashSet<string>();
        var queue = new Queue<string>(["RenderNet.Client"]);
        while (queue.TryDequeue(out var name))
        {
            if (!seen.Add(name)) continue;
            string file = Path.Combine(standIn, name + ".dll");
            if (!File.Exists(file)) continue; // the framework's own (netstandard, mscorlib…)
            foreach (var reference in References(file)) queue.Enqueue(reference);
        }
        var shipped = seen.Where(n => File.Exists(Path.Combine(standIn, n + ".dll")) && n != "RenderNet.Client").ToList();
        Assert.Contains("System.Text.Json", shipped);
        Assert.All(shipped, n => Assert.Contains(n, AllowedPackages));
        Assert.All(seen, n => Assert.DoesNotContain(Forbidden, f => n.StartsWith(f, StringComparison.Ordinal)));
        // The client itself: the standard library and System.Text.Json (plus IAsyncDisposable's home on .NET Standard).
        var direct = References(Path.Combine(standIn, "RenderNet.Client.dll")).Where(r => r != "Microsoft.Bcl.AsyncInterfaces").Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["System.Text.Json", "netstandard"], direct);
    }

    [Fact]
    public void The_net8_build_references_only_the_framework()
    {
        var references = References(typeof(RenderServiceClient).Assembly.Location);
        Assert.All(references, r => Assert.True(r.StartsWith("System.", StringComparison.Ordinal) || r is "System" or "netstandard" or "Microsoft.Win32.Primitives", $"the client references {r}"));
        Assert.All(references, r => Assert.DoesNotContain(Forbidden, f => r.StartsWith(f, StringComparison.Ordinal)));
    }

    [Fact]
    public void The_public_surface_has_no_required_members_records_or_init_setters()
    {
        // What a C# 9 compiler (Unity's) cannot consume: `required` (C# 11), and what Unity's Mono lacks at run time:
        // init accessors (IsExternalInit). Records compile at C# 9 but drag in init and equality surprises: none either.
        var types = typeof(RenderServiceClient).Assembly.GetExportedTypes();
        Assert.Contains(typeof(RenderRequest), types);
        foreach (var type in types)
        {
            Assert.False(type.CustomAttributes.Any(a => a.AttributeType.Name == "RequiredMemberAttribute"), $"{type} has required members");
            Assert.Null(type.GetMethod("<Clone>$"));
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static))
            {
                Assert.False(property.CustomAttributes.Any(a => a.AttributeType.Name == "RequiredMemberAttribute"), $"{type}.{property.Name} is required");
                var setter = property.GetSetMethod();
                if (setter is not null)
                    Assert.False(setter.ReturnParameter.GetRequiredCustomModifiers().Any(m => m.Name == "IsExternalInit"), $"{type}.{property.Name} has an init accessor");
            }
        }
    }

    static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "RenderNet.sln"))) dir = dir.Parent;
        return dir!.FullName;
    }
}
