using System.Diagnostics;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using RenderNet.Core.Imaging;

namespace RenderNet.Farm.Tests;

/// <summary>`rendernet render` on the farm, as a user runs it: local nodes, a killed coordinator, Ctrl+C, bad nodes.</summary>
[Collection("farm")]
public class FarmCliTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("rendernet-farmcli").FullName;
    public void Dispose() => Directory.Delete(dir, true);

    internal sealed class Cli : IDisposable
    {
        readonly Process process;
        readonly System.Text.StringBuilder stdout = new(), stderr = new();
        public Cli(params string[] args)
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
            psi.ArgumentList.Add(NodeProcess.RendernetDll);
            foreach (var a in args) psi.ArgumentList.Add(a);
            process = Process.Start(psi)!;
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }
        public Process Process => process;
        public string Stdout { get { lock (stdout) return stdout.ToString(); } }
        public string Stderr { get { lock (stderr) return stderr.ToString(); } }
        public int Wait(int seconds = 300)
        {
            if (!process.WaitForExit(TimeSpan.FromSeconds(seconds))) { process.Kill(true); throw new TimeoutException(Stderr); }
            process.WaitForExit();
            return process.ExitCode;
        }
        /// <summary>Worker processes started by this one (Linux /proc).</summary>
        public List<int> Children() => Directory.EnumerateDirectories($"/proc/{process.Id}/task")
            .SelectMany(t => File.Exists(Path.Combine(t, "children")) ? File.ReadAllText(Path.Combine(t, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries) : [])
            .Select(int.Parse).Distinct().ToList();
        public void Dispose() { if (!process.HasExited) process.Kill(true); process.Dispose(); }
    }

    static bool Alive(int pid) => Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ");

    static void WaitGone(IEnumerable<int> pids, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (pids.Any(Alive) && DateTime.UtcNow < deadline) Thread.Sleep(100);
        Assert.True(!pids.Any(Alive), $"processes left behind: {string.Join(",", pids.Where(Alive))}");
    }

    string[] Settings(string output, int spp = 12) => ["render", "--width", "96", "--height", "72", "--spp", spp.ToString(), "--bounces", "3", "--seed", "4", "--tile", "16", "--out", output, "--journal", dir];

    FloatImage LocalReference()
    {
        string path = Path.Combine(dir, "local.pfm");
        using var cli = new Cli(Settings(path));
        Assert.True(cli.Wait() == 0, cli.Stderr);
        return ImageWriter.ReadPfm(path);
    }

    [Fact]
    public void Local_nodes_render_the_same_file_as_one_process_and_report_per_node()
    {
        string path = Path.Combine(dir, "farm.pfm");
        using var cli = new Cli([.. Settings(path), "--local-nodes", "3", "--json"]);
        Assert.True(cli.Wait() == 0, cli.Stderr);
        using var json = JsonDocument.Parse(cli.Stdout);
        var nodes = json.RootElement.GetProperty("nodes").EnumerateArray().ToList();
        Assert.Equal(3, nodes.Count);
        Assert.Equal(30, nodes.Sum(n => n.GetProperty("tiles").GetInt32()));
        Assert.True(ImageWriter.ReadPfm(path).BitEquals(LocalReference()));
    }

    [Fact]
    public void A_killed_coordinator_resumes_without_rendering_a_delivered_tile_twice()
    {
        string path = Path.Combine(dir, "resumed.pfm");
        string jobId;
        HashSet<int> deliveredBeforeKill;
        using (var first = new Cli([.. Settings(path), "--local-nodes", "2"]))
        {
            var deadline = DateTime.UtcNow.AddSeconds(120);
            string? journalPath = null;
            while (DateTime.UtcNow < deadline)
            {
                journalPath = Directory.EnumerateFiles(dir, "*.sqlite").FirstOrDefault();
                if (journalPath is not null && DeliveredTiles(journalPath).Count >= 5) break;
                Thread.Sleep(50);
            }
            var workers = first.Children();
            first.Process.Kill(); // SIGKILL: no cleanup, no final write
            first.Wait();
            Assert.NotNull(journalPath);
            jobId = Path.GetFileNameWithoutExtension(journalPath);
            deliveredBeforeKill = DeliveredTiles(journalPath);
            Assert.InRange(deliveredBeforeKill.Count, 5, 29);
            Assert.False(File.Exists(path), "a killed job must not leave an image that looks complete");
            WaitGone(workers); // the workers notice their coordinator is gone
        }

        var resumeStarted = DateTime.UtcNow;
        using (var resumed = new Cli("render", "--resume", jobId, "--journal", dir, "--local-nodes", "2", "--out", path, "--json"))
        {
            Assert.True(resumed.Wait() == 0, resumed.Stderr);
            using var json = JsonDocument.Parse(resumed.Stdout);
            Assert.Equal(deliveredBeforeKill.Count, json.RootElement.GetProperty("tiles_from_journal").GetInt32());
        }
        Assert.True(ImageWriter.ReadPfm(path).BitEquals(LocalReference()));
        using var db = new SqliteConnection($"Data Source={Path.Combine(dir, jobId + ".sqlite")};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var query = db.CreateCommand();
        query.CommandText = "SELECT idx, started FROM attempt";
        using var reader = query.ExecuteReader();
        while (reader.Read())
        {
            var started = DateTime.Parse(reader.GetString(1), null, System.Globalization.DateTimeStyles.RoundtripKind);
            Assert.False(started > resumeStarted && deliveredBeforeKill.Contains(reader.GetInt32(0)),
                $"tile {reader.GetInt32(0)} was delivered before the kill and rendered again after the resume");
        }
    }

    static HashSet<int> DeliveredTiles(string journal)
    {
        try
        {
            using var db = new SqliteConnection($"Data Source={journal};Mode=ReadOnly;Pooling=False");
            db.Open();
            using var query = db.CreateCommand();
            query.CommandText = "SELECT idx FROM tile";
            using var reader = query.ExecuteReader();
            var set = new HashSet<int>();
            while (reader.Read()) set.Add(reader.GetInt32(0));
            return set;
        }
        catch (SqliteException) { return []; } // not created yet
    }

    [Fact]
    public void Interrupting_a_farm_render_leaves_no_process_behind()
    {
        using var cli = new Cli([.. Settings(Path.Combine(dir, "x.png"), spp: 64), "--local-nodes", "2"]);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!cli.Stderr.Contains("rendernet: job") && DateTime.UtcNow < deadline) Thread.Sleep(50);
        List<int> workers = [];
        while (workers.Count < 2 && DateTime.UtcNow < deadline) { workers = cli.Children(); Thread.Sleep(50); }
        Thread.Sleep(1500); // let tiles get in flight
        Assert.Equal(0, kill(cli.Process.Id, 2)); // SIGINT, as Ctrl+C
        Assert.True(130 == cli.Wait(60), cli.Stderr);
        Assert.True(cli.Stderr.Contains("rendernet: cancelled"), cli.Stderr);
        WaitGone(workers);
        Assert.False(File.Exists(Path.Combine(dir, "x.png")));
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    static extern int kill(int pid, int signal);

    [Fact]
    public void Unusable_nodes_give_a_clear_cli_error()
    {
        using var tiny = new NodeProcess(null, "--max-scene-mb", "0");
        using var old = new NodeProcess("OldProtocol");
        using var cli = new Cli("render", "--width", "16", "--height", "16", "--spp", "1", "--out", Path.Combine(dir, "y.png"), "--journal", dir,
            "--nodes", $"{tiny.Address},{old.Address}");
        Assert.Equal(5, cli.Wait());
        var error = cli.Stderr.Split('\n').Single(l => l.StartsWith("rendernet: error:"));
        Assert.Contains("exceeds its limit", error);
        Assert.Contains("protocol version 1 is not supported", error);
        Assert.DoesNotContain("   at ", cli.Stderr);
    }

    [Fact]
    public void Nodes_command_shows_capabilities_and_health()
    {
        using var node = new NodeProcess(null, "--node-id", "studio-7", "--price", "42");
        using var cli = new Cli("nodes", node.Address, "--json");
        Assert.True(cli.Wait() == 0, cli.Stderr);
        using var json = JsonDocument.Parse(cli.Stdout);
        var n = json.RootElement[0];
        Assert.Equal("studio-7", n.GetProperty("node_id").GetString());
        Assert.Equal(42UL, n.GetProperty("price_per_tile").GetUInt64());
        Assert.Equal(64, n.GetProperty("fingerprint").GetString()!.Length);
        Assert.True(n.GetProperty("serving").GetBoolean());

        using var down = new Cli("nodes", "127.0.0.1:9", "--json");
        Assert.Equal(3, down.Wait());
        using var downJson = JsonDocument.Parse(down.Stdout);
        Assert.StartsWith("Unavailable", downJson.RootElement[0].GetProperty("error").GetString());
    }
}

/// <summary>Runs `rendernet` to completion and returns its exit code and output.</summary>
static class RendernetRun
{
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        if (environment is not null) foreach (var (k, v) in environment) psi.Environment[k] = v;
        psi.ArgumentList.Add(NodeProcess.RendernetDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stderrTask = p.StandardError.ReadToEndAsync();
        string stdout = await p.StandardOutput.ReadToEndAsync();
        string stderr = await stderrTask;
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        return (p.ExitCode, stdout, stderr);
    }
}

[Collection("farm")]
public class PaidFarmCliTests
{
    [Fact]
    public async Task A_paid_local_job_prints_a_receipt_with_exact_amounts()
    {
        string dir = Directory.CreateTempSubdirectory("rendernet-paid").FullName;
        try
        {
            var (exitCode, stdout, stderr) = await RendernetRun.RunAsync(null, "render", "--width", "64", "--height", "48", "--spp", "2", "--tile", "16",
                "--local-nodes", "2", "--pay", "--price", "7", "--out", Path.Combine(dir, "x.png"), "--journal", dir, "--json");
            Assert.True(exitCode == 0, stderr);
            Assert.False(stderr.Contains("warning"), stderr); // every voucher accepted, every node redeemed
            Assert.Contains("2 node(s) found in the registry", stderr);
            using var json = System.Text.Json.JsonDocument.Parse(stdout);
            var nodes = json.RootElement.GetProperty("nodes").EnumerateArray().ToList();
            Assert.Equal(12, nodes.Sum(n => n.GetProperty("tiles").GetInt32()));
            foreach (var n in nodes)
            {
                int tiles = n.GetProperty("tiles").GetInt32();
                // Paid per price unit of work done: its tiles, its spot checks (5 % by default) and any valid duplicate.
                int units = tiles + n.GetProperty("spot_checks").GetInt32() + n.GetProperty("duplicates_paid").GetInt32();
                Assert.Equal((7 * units).ToString(), n.GetProperty("paid").GetString());
                if (tiles > 0) Assert.Matches("^0x[0-9a-f]{64}$", n.GetProperty("redeem_tx").GetString());
            }
            Assert.DoesNotContain("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80", stdout + stderr); // dev key 0 never printed
        }
        finally { Directory.Delete(dir, true); }
    }
}

[Collection("farm")]
public class ExistingChainCliTests
{
    static string Keystore(string dir, string privateKey)
    {
        var key = new Nethereum.Signer.EthECKey(privateKey);
        string path = Path.Combine(dir, "payer.json");
        File.WriteAllText(path, new Nethereum.KeyStore.KeyStoreScryptService().EncryptAndGenerateKeyStoreAsJson("payer-pass", key.GetPrivateKeyAsBytes(),
            key.GetPublicAddress(), new Nethereum.KeyStore.Model.ScryptParams { Dklen = 32, N = 1024, R = 8, P = 1 }));
        return path;
    }

    static System.Diagnostics.Process StartCli(params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["RENDERNET_PAYER_PASSWORD"] = "payer-pass";
        psi.ArgumentList.Add(NodeProcess.RendernetDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return System.Diagnostics.Process.Start(psi)!;
    }

    [Fact]
    public async Task A_paid_job_killed_and_resumed_pays_every_tile_exactly_once()
    {
        await using var chain = new PaidFarmTests.PaidChain();
        await chain.DeployAsync();
        using var a = chain.Node(1, "--registry", chain.Contracts.Registry);
        using var b = chain.Node(2, "--registry", chain.Contracts.Registry);
        string dir = Directory.CreateTempSubdirectory("rendernet-paid-resume").FullName;
        try
        {
            string keystore = Keystore(dir, chain.Chain.DevKeys[0]);
            string[] payment = ["--rpc", chain.Chain.RpcUrl, "--escrow", chain.Contracts.Escrow, "--token", chain.Contracts.Token, "--payer-keystore", keystore, "--journal", dir,
                "--spot-check", "0"];
            // 32 spp: slow enough that the poll below sees 6 tiles well before the 24th (at 8 spp a fast run could finish first).
            using (var first = StartCli(["render", "--width", "96", "--height", "64", "--spp", "32", "--tile", "16", "--registry", chain.Contracts.Registry, "--out", Path.Combine(dir, "x.pfm"), .. payment]))
            {
                first.BeginOutputReadLine(); first.BeginErrorReadLine();
                var deadline = DateTime.UtcNow.AddSeconds(120);
                while (DateTime.UtcNow < deadline)
                {
                    var journalPath = Directory.EnumerateFiles(dir, "*.sqlite").FirstOrDefault();
                    if (journalPath is not null && Count(journalPath, "tile") >= 6) break;
                    await Task.Delay(30);
                }
                first.Kill();
                await first.WaitForExitAsync();
            }
            string job = Path.GetFileNameWithoutExtension(Directory.EnumerateFiles(dir, "*.sqlite").Single());
            Assert.InRange(Count(Path.Combine(dir, job + ".sqlite"), "tile"), 6, 23); // killed mid-job
            var resumed = await RendernetRun.RunAsync(new Dictionary<string, string> { ["RENDERNET_PAYER_PASSWORD"] = "payer-pass" },
                ["render", "--resume", job, "--nodes", $"{a.Address},{b.Address}", "--out", Path.Combine(dir, "x.pfm"), "--json", .. payment]);
            Assert.True(resumed.ExitCode == 0, resumed.Stderr);
            // Every tile of the job was delivered once and paid once: each node's balance is its tiles × price, plus any
            // valid duplicate of a straggler it rendered and lost the race with (paid: it did the work).
            string journalFile = Path.Combine(dir, job + ".sqlite");
            Assert.Equal(24, Count(journalFile, "tile"));
            int account = 1;
            foreach (var node in new[] { a, b })
            {
                int tiles = CountTilesOf(journalFile, node.Address) + CountPaidDuplicatesOf(journalFile, node.Address);
                Assert.Equal(PaidFarmTests.Price * tiles, await chain.BalanceOf(account++));
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    static int Count(string journal, string table)
    {
        try
        {
            using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={journal};Mode=ReadOnly;Pooling=False");
            db.Open();
            using var q = db.CreateCommand();
            q.CommandText = $"SELECT COUNT(*) FROM {table}";
            return Convert.ToInt32(q.ExecuteScalar());
        }
        catch (Microsoft.Data.Sqlite.SqliteException) { return 0; }
    }

    /// <summary>Rows of a journal table whose node is <paramref name="address"/> (a name ending in "(address)"), with an extra condition.</summary>
    static int CountOf(string journal, string table, string address, string condition = "1", string? outcome = null)
    {
        using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={journal};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var q = db.CreateCommand();
        q.CommandText = $"SELECT COUNT(*) FROM {table} WHERE node LIKE '%(' || $a || ')' AND {condition}";
        q.Parameters.AddWithValue("$a", address);
        if (outcome is not null) q.Parameters.AddWithValue("$o", outcome);
        return Convert.ToInt32(q.ExecuteScalar());
    }

    static int CountTilesOf(string journal, string address) => CountOf(journal, "tile", address);
    static int CountSegmentsOf(string journal, string address) => CountOf(journal, "segment", address);
    static int CountPaidDuplicatesOf(string journal, string address) => CountOf(journal, "attempt", address, "outcome = $o", TileFarm.PaidDuplicate);

    [Fact]
    public async Task F5_a_paid_transcode_killed_and_resumed_keeps_its_channels_and_pays_every_segment_exactly_once()
    {
        await using var chain = new PaidFarmTests.PaidChain();
        await chain.DeployAsync();
        using var a = chain.Node(1, "--registry", chain.Contracts.Registry);
        using var b = chain.Node(2, "--registry", chain.Contracts.Registry);
        string dir = Directory.CreateTempSubdirectory("rendernet-paid-transcode").FullName;
        try
        {
            string input = Path.Combine(dir, "clip.mp4");
            var ff = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc2=s=160x90:r=12:d=8",
                "-c:v", "libx264", "-g", "6", "-pix_fmt", "yuv420p", "-y", input]))!;
            await ff.WaitForExitAsync();
            Assert.Equal(0, ff.ExitCode);
            string output = Path.Combine(dir, "out");
            string keystore = Keystore(dir, chain.Chain.DevKeys[0]);
            string[] payment = ["--rpc", chain.Chain.RpcUrl, "--escrow", chain.Contracts.Escrow, "--token", chain.Contracts.Token, "--registry", chain.Contracts.Registry,
                "--payer-keystore", keystore, "--spot-check", "0"];
            string journalPath() => Directory.Exists(output) ? Directory.EnumerateFiles(output, "journal.sqlite", SearchOption.AllDirectories).FirstOrDefault() ?? "" : "";
            int before;
            using (var first = StartCli(["transcode", input, "--renditions", "90p,60p:crf=30", "--segment-seconds", "0.5", "--out", output, .. payment]))
            {
                first.BeginOutputReadLine(); first.BeginErrorReadLine();
                var deadline = DateTime.UtcNow.AddSeconds(120);
                while (DateTime.UtcNow < deadline && (journalPath() is not { Length: > 0 } j || Count(j, "segment") < 3)) await Task.Delay(30);
                first.Kill(); // SIGKILL: vouchers for the last segments (and the held-back share) never went out
                await first.WaitForExitAsync();
                before = Count(journalPath(), "segment");
                Assert.InRange(before, 3, 15);
            }
            string jobId = Path.GetFileName(Directory.EnumerateDirectories(output, ".rendernet-*").Single())[".rendernet-".Length..];
            var firstRun = new[] { a, b }.ToDictionary(n => n.Address, n => CountSegmentsOf(journalPath(), n.Address));
            var channelsBefore = Count(journalPath(), "channel");

            var resumed = await RendernetRun.RunAsync(new Dictionary<string, string> { ["RENDERNET_PAYER_PASSWORD"] = "payer-pass" },
                ["transcode", "--resume", jobId, "--out", output, "--nodes", $"{a.Address},{b.Address}", "--json", .. payment]);
            Assert.True(resumed.ExitCode == 0, resumed.Stderr);
            using var json = System.Text.Json.JsonDocument.Parse(resumed.Stdout);
            Assert.Equal(before, json.RootElement.GetProperty("segments_from_earlier_run").GetInt32());
            int account = 1;
            foreach (var node in new[] { a, b })
            {
                var report = json.RootElement.GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("address").GetString() == node.Address);
                // One price unit per segment here (well under a megapixel of output each); both runs' segments, once.
                int units = firstRun[node.Address] + report.GetProperty("segments").GetInt32() + report.GetProperty("duplicates_paid").GetInt32();
                Assert.Equal(PaidFarmTests.Price * units, await chain.BalanceOf(account++));
            }
            Assert.True(channelsBefore >= 1); // the resumed job paid on the channels the first run opened (journaled)
        }
        finally { Directory.Delete(dir, true); }
    }




    [Fact]
    public async Task A_job_on_an_existing_chain_finds_its_nodes_in_the_registry_and_pays_them_exactly()
    {
        await using var chain = new PaidFarmTests.PaidChain();
        await chain.DeployAsync();
        await new RenderNet.Payments.TokenClient(chain.Chain.Web3For(chain.Chain.DevKeys[0]), chain.Contracts.Token)
            .TransferAsync(RenderNet.Payments.PaymentKeys.AddressOf(chain.Chain.DevKeys[1]), 5000);
        using var a = chain.Node(1, "--registry", chain.Contracts.Registry, "--stake", "5000");
        var listed = await new RenderNet.Payments.RegistryClient(chain.Chain.Web3For(chain.Chain.DevKeys[0]), chain.Contracts.Registry, chain.Contracts.Token).NodesAsync();
        Assert.Equal(5000, (int)listed.Single(n => n.Endpoint == a.Address).Stake);
        using var b = chain.Node(2, "--registry", chain.Contracts.Registry);
        string dir = Directory.CreateTempSubdirectory("rendernet-rpc").FullName;
        try
        {
            string keystore = Keystore(dir, chain.Chain.DevKeys[0]);
            var (exitCode, stdout, stderr) = await RendernetRun.RunAsync(new Dictionary<string, string> { ["RENDERNET_PAYER_PASSWORD"] = "payer-pass" },
                "render", "--width", "48", "--height", "32", "--spp", "2", "--tile", "16",
                "--rpc", chain.Chain.RpcUrl, "--escrow", chain.Contracts.Escrow, "--token", chain.Contracts.Token, "--registry", chain.Contracts.Registry,
                "--payer-keystore", keystore, "--out", Path.Combine(dir, "x.png"), "--journal", dir, "--json");
            Assert.True(exitCode == 0, stderr);
            Assert.Contains("2 node(s) found in the registry", stderr);
            Assert.DoesNotContain("payer-pass", stdout + stderr);
            using var json = System.Text.Json.JsonDocument.Parse(stdout);
            var nodes = json.RootElement.GetProperty("nodes").EnumerateArray().ToList();
            Assert.Equal(6, nodes.Sum(n => n.GetProperty("tiles").GetInt32()));
            int account = 1;
            foreach (var node in new[] { a, b })
            {
                var report = nodes.Single(n => n.GetProperty("address").GetString() == node.Address);
                // Paid per unit of work: tiles, spot checks (on by default) and any valid duplicate of a straggler.
                var owed = PaidFarmTests.Price * (report.GetProperty("tiles").GetInt32() + report.GetProperty("spot_checks").GetInt32()
                                                  + report.GetProperty("duplicates_paid").GetInt32());
                Assert.Equal(owed.ToString(), report.GetProperty("paid").GetString());
                Assert.Equal(owed, await chain.BalanceOf(account++)); // node 1 staked all it had: what it holds now it earned
            }
        }
        finally { Directory.Delete(dir, true); }
    }
}
