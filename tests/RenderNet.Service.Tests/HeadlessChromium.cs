using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RenderNet.Service.Tests;

/// <summary>
/// Debian's chromium, headless, driven over the DevTools protocol (its own WebSocket; no browser download, no
/// Playwright): navigate, evaluate script in the page, take a screenshot.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    readonly Process process;
    readonly string profile;
    readonly ClientWebSocket page = new();
    int nextId;

    HeadlessChromium(Process process, string profile)
    {
        this.process = process;
        this.profile = profile;
    }

    public static string? Program => new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists);

    public static async Task<HeadlessChromium> StartAsync(int width = 1280, int height = 900)
    {
        string program = Program ?? throw new InvalidOperationException("chromium is not installed (scripts/install-deps.sh installs it)");
        string profile = Directory.CreateTempSubdirectory("rendernet-chromium").FullName;
        var psi = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--remote-debugging-port=0", $"--user-data-dir={profile}", $"--window-size={width},{height}", "about:blank" })
            psi.ArgumentList.Add(a);
        var process = Process.Start(psi)!;
        var browser = new HeadlessChromium(process, profile);
        try
        {
            string? endpoint = null;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (endpoint is null && DateTime.UtcNow < deadline)
            {
                var line = await process.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)) ?? throw new IOException("chromium exited before it listened");
                if (line.Contains("DevTools listening on ")) endpoint = line[(line.IndexOf("ws://", StringComparison.Ordinal))..].Trim();
            }
            _ = process.StandardError.ReadToEndAsync(); // keep draining
            var port = new Uri(endpoint ?? throw new TimeoutException("chromium printed no DevTools address")).Port;
            using var http = new HttpClient();
            var targets = JsonNode.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/json/list"))!.AsArray();
            var target = targets.First(t => (string?)t!["type"] == "page")!;
            await browser.page.ConnectAsync(new Uri((string)target["webSocketDebuggerUrl"]!), CancellationToken.None);
            return browser;
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
    }

    /// <summary>Sends one DevTools command and returns its result (events in between are skipped).</summary>
    public async Task<JsonNode> SendAsync(string method, object? parameters = null)
    {
        int id = ++nextId;
        var command = JsonSerializer.SerializeToUtf8Bytes(new { id, method, @params = parameters ?? new { } });
        await page.SendAsync(command, WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[1 << 16];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult result;
            do
            {
                result = await page.ReceiveAsync(buffer, timeout.Token);
                message.Write(buffer, 0, result.Count);
            } while (!result.EndOfMessage);
            var reply = JsonNode.Parse(Encoding.UTF8.GetString(message.ToArray()))!;
            if ((int?)reply["id"] != id) continue;
            if (reply["error"] is { } error) throw new InvalidOperationException($"{method}: {error.ToJsonString()}");
            return reply["result"]!;
        }
    }

    public Task NavigateAsync(string url) => SendAsync("Page.navigate", new { url });

    /// <summary>Evaluates an expression in the page; returns its value (JSON-serialisable values only).</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression)
    {
        var result = await SendAsync("Runtime.evaluate", new { expression, returnByValue = true, awaitPromise = true });
        if (result["exceptionDetails"] is { } ex) throw new InvalidOperationException($"page script failed: {ex.ToJsonString()}");
        return result["result"]!["value"];
    }

    /// <summary>Evaluates until the expression is truthy, or throws after the timeout with its last value.</summary>
    public async Task<JsonNode?> WaitForAsync(string expression, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        JsonNode? value = null;
        while (watch.Elapsed < timeout)
        {
            value = await EvaluateAsync(expression);
            if (value is not null && value.ToJsonString() is not ("false" or "0" or "\"\"" or "null")) return value;
            await Task.Delay(200);
        }
        throw new TimeoutException($"the page never satisfied `{expression}` (last: {value?.ToJsonString() ?? "null"})");
    }

    public async Task ScreenshotAsync(string path) =>
        await File.WriteAllBytesAsync(path, Convert.FromBase64String((string)(await SendAsync("Page.captureScreenshot", new { format = "png" }))["data"]!));

    public async ValueTask DisposeAsync()
    {
        try { page.Abort(); page.Dispose(); } catch (ObjectDisposedException) { }
        try { if (!process.HasExited) process.Kill(entireProcessTree: true); await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)); } catch (Exception ex) when (ex is InvalidOperationException or TimeoutException) { }
        process.Dispose();
        try { Directory.Delete(profile, true); } catch (IOException) { }
    }
}
