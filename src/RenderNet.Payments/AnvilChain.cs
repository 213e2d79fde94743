using System.Diagnostics;
using System.Numerics;
using System.Text.RegularExpressions;
using Nethereum.JsonRpc.Client;
using Nethereum.Web3;

namespace RenderNet.Payments;

/// <summary>
/// A local EVM chain: Foundry's anvil (from npm, under contracts/node_modules) on a free loopback port, with its
/// deterministic funded dev accounts. Stopped when disposed. The dev keys are read from anvil's own output and never
/// printed.
/// </summary>
public sealed partial class AnvilChain : IDisposable
{
    public const string BinaryEnvironmentVariable = "RENDERNET_ANVIL";
    readonly Process process;

    public string RpcUrl { get; }
    public long ChainId { get; } = 31337;
    /// <summary>Private keys of the funded dev accounts, in anvil's order.</summary>
    public IReadOnlyList<string> DevKeys { get; }

    AnvilChain(Process process, string rpcUrl, IReadOnlyList<string> keys)
    {
        this.process = process;
        RpcUrl = rpcUrl;
        DevKeys = keys;
    }

    [GeneratedRegex(@"Listening on ([0-9.]+:\d+)")]
    private static partial Regex ListeningLine();

    [GeneratedRegex(@"^\(\d+\) (0x[0-9a-fA-F]{64})\s*$")]
    private static partial Regex KeyLine();

    public static AnvilChain Start(TimeSpan? timeout = null)
    {
        string binary = FindBinary();
        var psi = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--port", "0", "--host", "127.0.0.1", "--chain-id", "31337" }) psi.ArgumentList.Add(a);
        var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {binary}");
        var keys = new List<string>();
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            if (KeyLine().Match(e.Data) is { Success: true } k) lock (keys) keys.Add(k.Groups[1].Value);
            if (ListeningLine().Match(e.Data) is { Success: true } m) ready.TrySetResult(m.Groups[1].Value);
        };
        process.ErrorDataReceived += (_, _) => { };
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"anvil exited with code {process.ExitCode} before listening"));
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            if (!ready.Task.Wait(timeout ?? TimeSpan.FromSeconds(30))) throw new InvalidOperationException("anvil did not start in time");
        }
        catch
        {
            if (!process.HasExited) process.Kill();
            process.Dispose();
            throw;
        }
        List<string> found;
        lock (keys) found = keys.Distinct().ToList();
        return new AnvilChain(process, "http://" + ready.Task.Result, found);
    }

    /// <summary>$RENDERNET_ANVIL, else the npm package's binary under contracts/node_modules above this assembly.</summary>
    public static string FindBinary()
    {
        if (Environment.GetEnvironmentVariable(BinaryEnvironmentVariable) is { Length: > 0 } configured) return configured;
        string arch = System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? "arm64" : "amd64";
        string relative = Path.Combine("contracts", "node_modules", "@foundry-rs", $"anvil-linux-{arch}", "bin", "anvil");
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"anvil was not found ({relative}); run scripts/install-deps.sh, or set ${BinaryEnvironmentVariable}");
    }

    public Web3 Web3For(string privateKey) => new(new Nethereum.Web3.Accounts.Account(privateKey, ChainId), RpcUrl);

    /// <summary>Moves the chain's clock forward and mines a block (anvil's evm_increaseTime + evm_mine).</summary>
    public async Task AdvanceTimeAsync(long seconds)
    {
        var client = new RpcClient(new Uri(RpcUrl));
        await client.SendRequestAsync(new RpcRequest(1, "evm_increaseTime", new BigInteger(seconds)));
        await client.SendRequestAsync(new RpcRequest(2, "evm_mine"));
    }

    public void Dispose()
    {
        if (!process.HasExited) process.Kill();
        process.WaitForExit();
        process.Dispose();
    }
}
