using RenderNet.Media;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using RenderNet.Client.Wire;

namespace RenderNet.Service;

/// <summary>The HTTP API (/v1): service, nodes, scenes, estimates, jobs, frames, and each job's event stream.</summary>
static class ServiceEndpoints
{
    public static void Map(IEndpointRouteBuilder app, JobManager manager, NodeRoster roster, ServiceOptions options)
    {
        var v1 = app.MapGroup("/v1");

        v1.MapGet("/service", () => new ServiceInfo
        {
            Version = typeof(ServiceEndpoints).Assembly.GetName().Version?.ToString() ?? "",
            Payer = options.Payer?.PayerAddress,
            Nodes = roster.Addresses.Count,
            NodeAddresses = roster.Addresses.ToList(),
            Budget = options.Budget is { } b ? ServiceMapping.Tokens(b) : null,
            Spent = ServiceMapping.Tokens(manager.SpentInAll()),
            ExplorerTransactionUrl = options.ExplorerTransactionUrl,
        }).WithSummary("The service: version, payer address (never its key), node count, budget and spending");

        v1.MapGet("/nodes", async (CancellationToken cancellation) =>
            {
                var probes = await roster.ProbeAsync(calibrate: false, cancellation);
                var work = manager.NodeWork();
                var policy = new RenderNet.Farm.ReputationPolicy(options.Farm);
                return probes.Select(p => NodeRoster.Line(p, work.GetValueOrDefault(p.Address), options.Farm.Reputation?.Find(NodeRoster.IdentityOf(p)), policy)).ToList();
            })
            .WithSummary("Every node with its health, and what it has done for this service (tiles, spot checks, failures, convictions, pay)");

        v1.MapMethods("/scenes/{sha256}", ["HEAD"], (string sha256) => manager.Scenes.Has(sha256) ? Results.Ok() : Results.NotFound())
            .WithSummary("Whether the service has a scene (by the SHA-256 of its .glb bytes)");

        v1.MapPut("/scenes/{sha256}", async (string sha256, HttpRequest request, CancellationToken cancellation) =>
        {
            if (!SceneStore.ValidHash(sha256)) return ProblemResults.Of(400, "the scene's address must be the SHA-256 of its bytes, 64 lower-case hex digits", "InvalidScene", "sha256");
            if (manager.Scenes.Has(sha256)) return Results.Ok();
            try
            {
                return await manager.Scenes.PutAsync(sha256, request.Body, cancellation)
                    ? Results.Created($"/v1/scenes/{sha256}", null)
                    : ProblemResults.Of(400, $"the uploaded bytes do not hash to {sha256}", "InvalidScene", "sha256");
            }
            catch (InvalidDataException ex)
            {
                return ProblemResults.Of(413, ex.Message, "InvalidScene");
            }
        }).WithSummary("Uploads a .glb scene under its SHA-256 (once: the service keeps it for every job)");

        v1.MapMethods("/media/{sha256}", ["HEAD"], (string sha256) => manager.Media.Has(sha256) ? Results.Ok() : Results.NotFound())
            .WithSummary("Whether the service has a video (by the SHA-256 of its bytes)");

        v1.MapPut("/media/{sha256}", async (string sha256, HttpRequest request, CancellationToken cancellation) =>
        {
            if (!SceneStore.ValidHash(sha256)) return ProblemResults.Of(400, "the video's address must be the SHA-256 of its bytes, 64 lower-case hex digits", "InvalidMedia", "sha256");
            if (manager.Media.Has(sha256)) return Results.Ok();
            try
            {
                return await manager.Media.PutAsync(sha256, request.Body, cancellation)
                    ? Results.Created($"/v1/media/{sha256}", null)
                    : ProblemResults.Of(400, $"the uploaded bytes do not hash to {sha256}", "InvalidMedia", "sha256");
            }
            catch (InvalidDataException ex)
            {
                return ProblemResults.Of(413, ex.Message, "InvalidMedia");
            }
        }).WithSummary("Uploads a video for transcode jobs under its SHA-256 (streamed to disk, kept for every job)");

        v1.MapPost("/estimates", async (JobSubmission submission, CancellationToken cancellation) =>
        {
            var checkedPlan = JobPlan.For(submission, manager.Scenes, manager.Media);
            if (!checkedPlan.CanRender)
                return Results.Ok(new EstimateReply { Problems = checkedPlan.Errors.Select(e => new ProblemLine { Message = $"{e.Field}: {e.Message}" }).ToList() });
            decimal? left = options.Budget is { } budget ? decimal.Parse(ServiceMapping.Tokens(budget - manager.SpentInAll()), System.Globalization.CultureInfo.InvariantCulture) : null;
            if (checkedPlan is TranscodeJobPlan transcode)
            {
                if (transcode.MaxCost is { } cap) left = left is { } l ? Math.Min(l, cap) : cap;
                MediaInfo info;
                try { info = await MediaInfo.ProbeAsync(FfmpegTools.Locate(), new MediaInput(transcode.MediaPath), cancellation); }
                catch (MediaException ex) { return ProblemResults.Of(400, ex.Message, "InvalidMedia", "transcode.mediaSha256"); }
                var transcoders = await roster.ProbeAsync(calibrate: false, cancellation, NodeRoster.Transcode);
                return Results.Ok(TranscodeEstimator.Estimate(transcode, info, transcoders, options.Farm.SpotCheckRate, left));
            }
            var plan = (RenderJobPlan)checkedPlan;
            var probes = await roster.ProbeAsync(calibrate: true, cancellation);
            if (plan.MaxCost is { } max) left = left is { } l2 ? Math.Min(l2, max) : max;
            return Results.Ok(RenderEstimator.Estimate(plan, probes, options.Farm.SpotCheckRate, left));
        }).WithSummary("Checks a job without spending anything: problems, tiles, compatible nodes, expected cost and time");

        v1.MapPost("/jobs", (JobSubmission submission) =>
        {
            var plan = JobPlan.For(submission, manager.Scenes, manager.Media);
            if (!plan.CanRender) return ProblemResults.Invalid(plan.Errors);
            var job = manager.Submit(submission, plan, out var refusal);
            if (job is not null) return Results.Created($"/v1/jobs/{job.Id}", manager.Status(job.Id));
            // The same submission again (a client retrying) is the same job; another one under a taken id is refused.
            var existing = manager.Store.Get(submission.Id!);
            return existing is not null && System.Text.Json.JsonSerializer.Serialize(existing.Submission, Json.Options) == System.Text.Json.JsonSerializer.Serialize(submission, Json.Options)
                ? Results.Ok(manager.Status(existing.Id))
                : ProblemResults.Of(409, $"job id '{submission.Id}' is taken by another job", "Service", "id");
        }).WithSummary("Submits a render job (its scene uploaded first); jobs share the nodes by priority");

        v1.MapGet("/transactions/{hash}", async (string hash) =>
        {
            if (!TransactionHash.IsMatch(hash)) return ProblemResults.Of(400, "a transaction hash is 0x and 64 hex digits", "Service", "hash");
            if (options.Payer is not { } payer) return ProblemResults.Of(404, "this service pays no one: it reads no chain", "Service");
            Payments.RedeemTransaction? tx;
            try { tx = await payer.TransactionAsync(hash.ToLowerInvariant()); }
            catch (Payments.PaymentException ex) { return ProblemResults.Of(502, ex.Message, "Service"); }
            return tx is null ? ProblemResults.Of(404, $"the chain has no mined transaction {hash}", "Service", "hash") : Results.Ok(new TransactionInfo
            {
                Hash = tx.Hash, Block = tx.Block, Succeeded = tx.Succeeded, From = tx.From, To = tx.To ?? "", GasUsed = tx.GasUsed.ToString(),
                Redeemed = tx.Redeemed.Select(r => new RedeemLine
                {
                    Channel = r.Channel.ToString(), Node = r.Node, Paid = ServiceMapping.Tokens(r.Paid),
                    CumulativeAmount = ServiceMapping.Tokens(r.CumulativeAmount), Units = r.Tiles.ToString(),
                }).ToList(),
            });
        }).WithSummary("A transaction on the service's chain (a receipt's redeem): block, status, gas and the escrow's Redeemed events");

        v1.MapGet("/jobs", () => manager.All()).WithSummary("Every job, newest first");

        v1.MapGet("/jobs/{id}", (string id) => manager.Status(id) is { } status ? Results.Ok(status) : NotFound(id))
            .WithSummary("One job");

        v1.MapPost("/jobs/{id}/pause", (string id) => Controlled(id, manager.Pause(id), manager)).WithSummary("Hands out no more tiles; those in flight finish");
        v1.MapPost("/jobs/{id}/resume", (string id) => Controlled(id, manager.Resume(id), manager)).WithSummary("Continues a paused job");
        v1.MapPost("/jobs/{id}/cancel", (string id) => Controlled(id, manager.Cancel(id), manager)).WithSummary("Stops a job; delivered tiles stay paid");
        v1.MapPut("/jobs/{id}/priority", (string id, PriorityChange change) =>
            change.Priority is < Farm.FairShareScheduler.MinPriority or > Farm.FairShareScheduler.MaxPriority
                ? ProblemResults.Of(400, $"priority must be between {Farm.FairShareScheduler.MinPriority} and {Farm.FairShareScheduler.MaxPriority}, got {change.Priority}", "Service", "priority")
                : Controlled(id, manager.SetPriority(id, change.Priority), manager))
            .WithSummary("Changes a job's weight in the fair share while it runs");

        v1.MapGet("/jobs/{id}/frames/{index:int}", (string id, int index, string? format, HttpResponse response) =>
        {
            if (manager.Status(id) is not { } status) return NotFound(id);
            if (FormatProblem(format) is { } bad) return bad;
            string path = Path.Combine(manager.JobDirectory(id), $"frame-{index}.f32");
            if (index < 0 || index >= status.Frames || !File.Exists(path))
                return ProblemResults.Of(404, $"job {id} has no finished frame {index} (it has {status.Frames} frames)", "JobNotFound", "index");
            var floats = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(path).AsSpan());
            if (floats.Length != 4L * status.FrameWidth * status.FrameHeight) return ProblemResults.Of(500, $"frame {index} of job {id} is damaged on disk");
            response.Headers["X-Frame-Width"] = status.FrameWidth.ToString();
            response.Headers["X-Frame-Height"] = status.FrameHeight.ToString();
            return Results.Bytes(JobEventStream.Encode(floats, format ?? JobEventStream.Rgba8), "application/octet-stream");
        }).WithSummary("A finished frame's pixels: rows top first, rgba8-srgb (default) or rgba32f-linear; size in X-Frame-Width/Height");

        v1.MapGet("/jobs/{id}/outputs/{**file}", (string id, string file) =>
        {
            if (manager.Status(id) is null) return NotFound(id);
            // Only files the job listed in its receipt: the name is never a path the caller chose.
            var listed = manager.Store.Get(id)?.Receipt?.Outputs.FirstOrDefault(o => o.File == file);
            if (listed is null) return ProblemResults.Of(404, $"job {id} has no output '{Farm.Printable.Clean(file, 120)}'", "JobNotFound", "file");
            string path = Path.Combine(manager.JobDirectory(id), "out", listed.File);
            string type = Path.GetExtension(listed.File) switch { ".m3u8" => "application/vnd.apple.mpegurl", ".exr" => "image/x-exr", _ => "video/mp4" };
            return Results.File(path, type, Path.GetFileName(path), enableRangeProcessing: true);
        }).WithSummary("A file a finished job produced (transcodes: renditions and playlists; renders with passes: a multi-layer EXR per frame), as listed in its receipt");

        v1.MapGet("/events", async (HttpContext context) =>
        {
            if (!context.WebSockets.IsWebSocketRequest) return ProblemResults.Of(400, "the service's event stream is a WebSocket: connect with ws:// (or wss://)");
            await ServiceEventStream.RunAsync(context, manager);
            return Results.Empty;
        }).WithSummary("Every job's status (WebSocket): a JSON message with the whole list, again whenever a job records an event");

        v1.MapGet("/jobs/{id}/events", async (string id, long? after, string? format, HttpContext context) =>
        {
            if (!context.WebSockets.IsWebSocketRequest) return ProblemResults.Of(400, "the event stream is a WebSocket: connect with ws:// (or wss://)");
            if (manager.Status(id) is null) return NotFound(id);
            if (FormatProblem(format) is { } bad) return bad;
            if (after is < 0) return ProblemResults.Of(400, $"after must be a sequence number ≥ 0, got {after}", "Service", "after");
            await JobEventStream.RunAsync(context, id, after ?? 0, format ?? JobEventStream.Rgba8, manager);
            return Results.Empty;
        }).WithSummary("The job's events (WebSocket): JSON text messages; a tile event is followed by a binary message with its pixels. ?after=N resumes after event N");
    }

    static readonly System.Text.RegularExpressions.Regex TransactionHash = new("^0x[0-9a-fA-F]{64}$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    static IResult? FormatProblem(string? format) =>
        format is null or JobEventStream.Rgba8 or JobEventStream.Rgba32F ? null
        : ProblemResults.Of(400, $"format must be {JobEventStream.Rgba8} or {JobEventStream.Rgba32F}, got '{Farm.Printable.Clean(format, 40)}'", "Service", "format");

    static IResult NotFound(string id) => ProblemResults.Of(404, $"no job '{Farm.Printable.Clean(id, 80)}' on this service", "JobNotFound");

    static IResult Controlled(string id, JobRefusal refusal, JobManager manager) => refusal switch
    {
        JobRefusal.None => Results.Ok(manager.Status(id)),
        JobRefusal.NotFound => NotFound(id),
        _ => ProblemResults.Of(409, $"job {id} has ended ({manager.Status(id)?.State})", "Service"),
    };
}
