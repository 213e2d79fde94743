using System.Net.Http.Json;
using RenderNet.Client;
using RenderNet.Client.Wire;
using Xunit.Abstractions;

namespace RenderNet.Service.Tests;

/// <summary>
/// The studio dashboard in Debian's headless chromium against a real service with three paid local nodes: the queue,
/// progress and nodes come through, the frame fills in live, and the page's pause button pauses the job.
/// </summary>
public sealed class DashboardTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_dashboard_shows_jobs_progress_nodes_and_a_live_frame_and_pauses_a_job_from_the_page()
    {
        Assert.True(HeadlessChromium.Program is not null, "chromium is not installed: scripts/install-deps.sh installs it");
        using var client = await RenderServiceClient.StartLocalAsync(new LocalServiceOptions { Nodes = 3, Paid = true, SpotCheckRate = 0, ServiceProgram = ServiceProcess.RendernetDll });
        var big = client.CreateJob(new RenderRequest(RenderScene.Sample()) { Width = 256, Height = 192, SamplesPerPixel = 256, MaxBounces = 3, TileSize = 16, Name = "big", Priority = 60 });
        var small = client.CreateJob(new RenderRequest(RenderScene.Sample()) { Width = 128, Height = 96, SamplesPerPixel = 64, MaxBounces = 3, TileSize = 16, Name = "small" });
        big.Start();
        small.Start();
        await using var browser = await HeadlessChromium.StartAsync();
        try
        {
            // The login link `rendernet serve token --url` prints: the token in the fragment, never sent to the server.
            await browser.NavigateAsync($"{client.ServiceAddress.GetLeftPart(UriPartial.Authority)}/#token={Uri.EscapeDataString(client.Connection.Token)}");
            var ids = (await browser.WaitForAsync("[...document.querySelectorAll('#jobs tbody tr')].length >= 2 && [...document.querySelectorAll('#jobs tbody tr')].map(r => r.dataset.job)", TimeSpan.FromSeconds(60)))!
                .AsArray().Select(n => (string)n!).ToList();
            Assert.Contains(big.Id, ids);
            Assert.Contains(small.Id, ids);

            // Progress arrives through the service's event stream: some job shows tiles done.
            await browser.WaitForAsync("[...document.querySelectorAll('#jobs tbody td.progress progress')].some(p => p.value > 0)", TimeSpan.FromSeconds(60));
            // The nodes table: three healthy paid nodes.
            var health = (await browser.WaitForAsync("document.querySelectorAll('#nodes tbody tr').length === 3 && [...document.querySelectorAll('#nodes td.health')].map(td => td.textContent)", TimeSpan.FromSeconds(30)))!
                .AsArray().Select(n => (string)n!).ToList();
            Assert.All(health, h => Assert.Equal("healthy", h));
            // The open job's frame fills in: many distinct colours drawn, not a blank canvas.
            var colours = await browser.WaitForAsync("""
                (() => { const c = document.querySelector('#frame'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                  const seen = new Set(); for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
                  return seen.size > 50 ? seen.size : 0; })()
                """, TimeSpan.FromSeconds(60));
            output.WriteLine($"distinct colours on the live frame: {colours}");

            // Pause the big job from the page; the service says it is paused, and the page shows it.
            await browser.WaitForAsync($"!document.querySelector('tr[data-job=\"{big.Id}\"] button.pause').disabled", TimeSpan.FromSeconds(30));
            await browser.EvaluateAsync($"document.querySelector('tr[data-job=\"{big.Id}\"] button.pause').click()");
            using var http = new HttpClient { BaseAddress = client.ServiceAddress };
            http.DefaultRequestHeaders.Authorization = new("Bearer", client.Connection.Token);
            string? state = null;
            for (var watch = System.Diagnostics.Stopwatch.StartNew(); watch.Elapsed < TimeSpan.FromSeconds(20) && state != "paused"; await Task.Delay(100))
                state = (await http.GetFromJsonAsync<JobStatus>($"v1/jobs/{big.Id}", Json.Options))!.State;
            Assert.Equal("paused", state);
            await browser.WaitForAsync($"document.querySelector('tr[data-job=\"{big.Id}\"]').dataset.state === 'paused'", TimeSpan.FromSeconds(20));

            // Cancel the small job from the page and open it: its receipt lists the nodes with their work and verdicts,
            // and the nodes table takes their tiles from it.
            await browser.EvaluateAsync($"document.querySelector('tr[data-job=\"{small.Id}\"] button.cancel').click()");
            await browser.WaitForAsync($"document.querySelector('tr[data-job=\"{small.Id}\"]').dataset.state === 'cancelled'", TimeSpan.FromSeconds(60));
            await browser.EvaluateAsync($"document.querySelector('tr[data-job=\"{small.Id}\"] td').click()");
            var verdicts = (await browser.WaitForAsync("document.querySelectorAll('#job-nodes tbody tr').length > 0 && [...document.querySelectorAll('#job-nodes td.verdict')].map(td => td.textContent)", TimeSpan.FromSeconds(30)))!
                .AsArray().Select(n => (string)n!).ToList();
            Assert.All(verdicts, v => Assert.Equal("ok", v));
            var smallStatus = (await http.GetFromJsonAsync<JobStatus>($"v1/jobs/{small.Id}", Json.Options))!;
            int receiptTiles = smallStatus.Receipt!.Nodes.Sum(n => n.Tiles);
            await browser.WaitForAsync($"[...document.querySelectorAll('#nodes tbody tr')].map(r => Number(r.children[6].textContent)).reduce((a, b) => a + b, 0) === {receiptTiles}", TimeSpan.FromSeconds(30));

            string shot = Path.Combine(AppContext.BaseDirectory, "artifacts", "dashboard.png");
            Directory.CreateDirectory(Path.GetDirectoryName(shot)!);
            await browser.ScreenshotAsync(shot);
            output.WriteLine($"screenshot: {shot}");
            Assert.True(new FileInfo(shot).Length > 10_000);
        }
        catch
        {
            output.WriteLine("jobs: " + string.Join("; ", (await client.GetJobsAsync()).Select(j => $"{j.Id} {j.State} {j.TilesDone}/{j.TilesTotal}")));
            output.WriteLine("big: " + big.State + " " + big.Error?.Message + " | small: " + small.State + " " + small.Error?.Message);
            output.WriteLine("page: " + (await browser.EvaluateAsync("document.body.innerText"))?.ToString());
            output.WriteLine("queue: " + (await browser.EvaluateAsync("document.querySelector('#jobs').outerHTML"))?.ToString());
            throw;
        }
        finally
        {
            foreach (var job in new[] { big, small })
                try { await job.CancelAsync(); } catch (RenderServiceException) { } // ended already
        }
    }
}
