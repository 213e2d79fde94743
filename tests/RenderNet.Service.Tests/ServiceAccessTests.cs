using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text.Json;

namespace RenderNet.Service.Tests;

/// <summary>`rendernet serve` as a process: who may call it, where it may listen, how it answers bad requests.</summary>
public sealed class ServiceAccessTests : IAsyncLifetime
{
    readonly string state = Directory.CreateTempSubdirectory("rendernet-service").FullName;
    ServiceProcess service = null!;

    public async Task InitializeAsync() => service = await ServiceProcess.StartAsync(state, null, "--local-nodes", "1", "--spot-check", "0");

    public Task DisposeAsync()
    {
        service.Dispose();
        Directory.Delete(state, true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Every_call_without_the_token_is_refused_with_401_and_the_token_file_is_owner_only()
    {
        using var anonymous = service.Http(withToken: false);
        foreach (var path in new[] { "v1/service", "v1/jobs", "v1/nodes", "openapi/v1.json" })
        {
            var response = await anonymous.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Contains("bearer token is required", await response.Content.ReadAsStringAsync());
        }
        anonymous.DefaultRequestHeaders.Authorization = new("Bearer", service.Token[..^1] + (service.Token[^1] == '0' ? '1' : '0'));
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("v1/service")).StatusCode);
        using var socket = new ClientWebSocket();
        var ws = new UriBuilder(new Uri(service.Address, "v1/jobs/x/events")) { Scheme = "ws" }.Uri;
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(ws, CancellationToken.None));

        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(state, "token")));
        var printed = await CliRun.RunAsync(null, "serve", "token", "--state", state);
        Assert.Equal(service.Token, printed.Stdout.Trim());
    }

    [Fact]
    public async Task The_openapi_document_describes_the_api_and_the_service_names_its_payer_never_its_key()
    {
        using var http = service.Http();
        using var openapi = JsonDocument.Parse(await http.GetStringAsync("openapi/v1.json"));
        var paths = openapi.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/v1/jobs", paths);
        Assert.Contains("/v1/jobs/{id}/events", paths);
        Assert.Contains("/v1/scenes/{sha256}", paths);
        Assert.Contains("/v1/jobs/{id}/priority", paths);
        var info = await http.GetFromJsonAsync<RenderNet.Client.Wire.ServiceInfo>("v1/service");
        Assert.Equal(1, info!.Nodes);
        Assert.Null(info.Payer); // an unpaid service: no wallet at all
    }

    [Fact]
    public async Task Bad_requests_get_problem_details_naming_the_field_and_the_kind()
    {
        using var http = service.Http();
        var glb = RenderNet.Client.RenderScene.Sample().Glb;
        string sha = Convert.ToHexStringLower(SHA256.HashData(glb));

        // An upload must hash to its address.
        var wrong = await http.PutAsync($"v1/scenes/{new string('0', 64)}", new ByteArrayContent(glb));
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        await AssertProblem(wrong, "InvalidScene", "sha256", "do not hash to");
        Assert.Equal(HttpStatusCode.Created, (await http.PutAsync($"v1/scenes/{sha}", new ByteArrayContent(glb))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.PutAsync($"v1/scenes/{sha}", new ByteArrayContent(glb))).StatusCode); // stored once

        var cases = new (string Json, string Field, string Words)[]
        {
            ($$$"""{"render":{"sceneSha256":"{{{sha}}}","width":0,"height":48}}""", "render", "image size 0x48 is invalid"),
            ($$$"""{"priority":500,"render":{"sceneSha256":"{{{sha}}}"}}""", "priority", "between 1 and 100, got 500"),
            ($$$"""{"render":{"sceneSha256":"{{{new string('a', 64)}}}"}}""", "render.sceneSha256", "upload it first"),
            ($$$"""{"render":{"sceneSha256":"{{{sha}}}","mode":"cartoon"}}""", "render.mode", "'path-trace' or 'raster'"),
            ($$$"""{"render":{"sceneSha256":"{{{sha}}}","camera":"nope"}}""", "render.camera", "nope"),
            ($$$"""{"id":"../../etc","render":{"sceneSha256":"{{{sha}}}"}}""", "id", "letters, digits or '-'"),
            ($$$"""{"maxCost":"-1","render":{"sceneSha256":"{{{sha}}}"}}""", "maxCost", "non-negative"),
            ($$$"""{"render":{"sceneSha256":"{{{sha}}}","sceneSources":["https://cdn.example/scene.glb"]}}""", "render.sceneSources", "names no scene: put {sha256} or {cid}"),
            ($$$"""{"render":{"sceneSha256":"{{{sha}}}","sceneSources":["ftp://cdn.example/{sha256}"]}}""", "render.sceneSources", "is not an http(s) URL"),
            ($$$"""{"render":{"sceneSha256":"{{{sha}}}","sceneSources":[{{{string.Join(",", Enumerable.Repeat("\"https://cdn.example/{sha256}\"", 9))}}}]}}""", "render.sceneSources", "at most 8 scene sources, got 9"),
        };
        foreach (var (json, field, words) in cases)
        {
            var response = await http.PostAsync("v1/jobs", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            await AssertProblem(response, "InvalidScene", field, words);
        }
        var missing = await http.GetAsync("v1/jobs/no-such-job");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        await AssertProblem(missing, "JobNotFound", null, "no job 'no-such-job'");

        // A transaction is named by its hash; this unpaid service reads no chain at all.
        var badHash = await http.GetAsync("v1/transactions/0x1234");
        Assert.Equal(HttpStatusCode.BadRequest, badHash.StatusCode);
        await AssertProblem(badHash, "Service", "hash", "0x and 64 hex digits");
        var noChain = await http.GetAsync($"v1/transactions/0x{new string('a', 64)}");
        Assert.Equal(HttpStatusCode.NotFound, noChain.StatusCode);
        await AssertProblem(noChain, "Service", null, "reads no chain");
    }

    [Fact]
    public async Task An_explorer_address_without_a_place_for_the_hash_is_refused_at_start()
    {
        var (exitCode, _, stderr) = await CliRun.RunAsync(null, "serve", "--explorer", "https://etherscan.io/tx/", "--local-nodes", "1",
            "--state", Path.Combine(Path.GetTempPath(), "rendernet-never-" + Guid.NewGuid().ToString("N")));
        Assert.Equal(2, exitCode);
        Assert.Contains("--explorer 'https://etherscan.io/tx/' must be an http(s) address with {tx}", stderr);
    }

    [Fact]
    public async Task Render_with_service_submits_to_it_and_writes_the_same_image_as_a_local_render()
    {
        string dir = Directory.CreateTempSubdirectory("rendernet-service-cli").FullName;
        try
        {
            string[] settings = ["--width", "48", "--height", "32", "--spp", "2", "--tile", "16"];
            var env = new Dictionary<string, string> { ["RENDERNET_SERVICE_TOKEN"] = service.Token };
            var (exit, stdout, stderr) = await CliRun.RunAsync(env, ["render", .. settings, "--service", service.Address.ToString(), "--out", Path.Combine(dir, "served.pfm"), "--json"]);
            Assert.True(exit == 0, stderr);
            using (var summary = JsonDocument.Parse(stdout))
                Assert.Equal(6, summary.RootElement.GetProperty("tiles").GetInt32());
            var local = await CliRun.RunAsync(null, ["render", .. settings, "--out", Path.Combine(dir, "local.pfm")]);
            Assert.True(local.ExitCode == 0, local.Stderr);
            Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "local.pfm")), File.ReadAllBytes(Path.Combine(dir, "served.pfm")));

            var refused = await CliRun.RunAsync(new Dictionary<string, string> { ["RENDERNET_SERVICE_TOKEN"] = "wrong-token-0123456789abcdef0123456789" },
                ["render", .. settings, "--service", service.Address.ToString(), "--out", Path.Combine(dir, "x.png")]);
            Assert.NotEqual(0, refused.ExitCode);
            Assert.Contains("refused the token (401)", refused.Stderr);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public async Task Transcode_and_demo_with_service_submit_to_it_and_write_what_a_local_run_writes()
    {
        string dir = Directory.CreateTempSubdirectory("rendernet-service-cli").FullName;
        try
        {
            var env = new Dictionary<string, string> { ["RENDERNET_SERVICE_TOKEN"] = service.Token };
            string clip = Path.Combine(dir, "clip.mp4");
            var ffmpeg = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(RenderNet.Media.FfmpegTools.Locate().Ffmpeg,
                ["-v", "error", "-f", "lavfi", "-i", "testsrc2=s=160x90:r=12:d=2", "-c:v", "libx264", "-g", "12", "-pix_fmt", "yuv420p", "-y", clip]))!;
            await ffmpeg.WaitForExitAsync();
            Assert.Equal(0, ffmpeg.ExitCode);

            string[] ladder = ["-r", "90p,48p", "--segment-seconds", "1"];
            var served = await CliRun.RunAsync(env, ["transcode", clip, .. ladder, "--service", service.Address.ToString(), "--out", Path.Combine(dir, "served"), "--json"]);
            Assert.True(served.ExitCode == 0, served.Stderr);
            using (var summary = JsonDocument.Parse(served.Stdout))
                Assert.Equal(2, summary.RootElement.GetProperty("segments").GetInt32());
            var local = await CliRun.RunAsync(null, ["transcode", clip, .. ladder, "--out", Path.Combine(dir, "local")]);
            Assert.True(local.ExitCode == 0, local.Stderr);
            // Every file the service produced — MP4s, playlists and HLS segments — equals the local run's, byte for byte.
            var files = Directory.GetFiles(Path.Combine(dir, "served"), "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Path.Combine(dir, "served"), f)).Order().ToList();
            Assert.Contains("90p.mp4", files);
            Assert.Contains(Path.Combine("hls", "master.m3u8"), files);
            Assert.Contains(files, f => f.EndsWith(".ts"));
            foreach (var file in files)
                Assert.True(File.ReadAllBytes(Path.Combine(dir, "local", file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(dir, "served", file))), $"{file} differs");

            var mixed = await CliRun.RunAsync(env, ["transcode", clip, "--service", service.Address.ToString(), "--local-nodes", "1", "--out", Path.Combine(dir, "x")]);
            Assert.Equal(2, mixed.ExitCode);
            Assert.Contains("rendernet: error: --service submits to a running service, which has its own nodes and journal", mixed.Stderr);
            var sequence = await CliRun.RunAsync(env, ["transcode", dir, "--service", service.Address.ToString(), "--out", Path.Combine(dir, "x")]);
            Assert.Contains($"--service transcodes one video file; '{dir}' is not one", sequence.Stderr);

            string[] small = ["--width", "48", "--height", "32", "--spp", "2", "--tile", "16"];
            var demo = await CliRun.RunAsync(env, ["demo", .. small, "--service", service.Address.ToString(), "--out", Path.Combine(dir, "demo.pfm")]);
            Assert.True(demo.ExitCode == 0, demo.Stderr);
            Assert.Contains("on the service at", demo.Stderr);
            var reference = await CliRun.RunAsync(null, ["render", .. small, "--out", Path.Combine(dir, "reference.pfm")]);
            Assert.True(reference.ExitCode == 0, reference.Stderr);
            Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "reference.pfm")), File.ReadAllBytes(Path.Combine(dir, "demo.pfm")));
        }
        finally { Directory.Delete(dir, true); }
    }

    static async Task AssertProblem(HttpResponseMessage response, string kind, string? field, string words)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(kind, problem.RootElement.GetProperty("kind").GetString());
        Assert.Contains(words, problem.RootElement.GetProperty("detail").GetString());
        if (field is not null) Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(field, out _), $"no error for {field}: {problem.RootElement}");
    }
}

/// <summary>Starting the service where it would be unsafe fails before anything else starts.</summary>
public sealed class ServiceListenTests
{
    [Fact]
    public async Task Listening_beyond_loopback_without_tls_is_refused_at_start()
    {
        var (exitCode, stdout, stderr) = await CliRun.RunAsync(null, "serve", "--listen", "http://0.0.0.0:0", "--local-nodes", "1",
            "--state", Path.Combine(Path.GetTempPath(), "rendernet-never-" + Guid.NewGuid().ToString("N")));
        Assert.Equal(2, exitCode);
        Assert.Contains("reaches beyond this machine, so it needs TLS", stderr);
        Assert.DoesNotContain("rendernet serve: listening on", stdout);
    }
}
