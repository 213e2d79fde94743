using System.Numerics;
using System.Text.Json;
using RenderNet.Client;
using RenderNet.Core.Imaging;

namespace RenderNet.Cli.Commands;

/// <summary>
/// `rendernet render --service URL`: the same render submitted to a running coordinator service through the engine
/// client — the service's nodes and wallet do the work; this process only uploads the scene, follows the job and
/// writes the images. Ctrl+C cancels the job on the service.
/// </summary>
static class ServiceRender
{
    public const string TokenVariable = "RENDERNET_SERVICE_TOKEN";

    /// <summary>The service's bearer token: $RENDERNET_SERVICE_TOKEN, else the local service's (default state directory).</summary>
    public static string Token() =>
        Environment.GetEnvironmentVariable(TokenVariable)
        ?? (File.Exists(RenderNet.Service.ServiceToken.PathIn(ServeCommand.DefaultStateDirectory))
            ? RenderNet.Service.ServiceToken.Load(ServeCommand.DefaultStateDirectory).Value
            : throw new ArgumentException($"--service needs the service's token in ${TokenVariable} (`rendernet serve token` prints it)"));

    /// <summary>Parses --service: an http(s) URL.</summary>
    public static Uri? ParseAddress(System.CommandLine.Parsing.ArgumentResult r) =>
        Uri.TryCreate(r.Tokens.Single().Value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new ArgumentException($"--service '{r.Tokens.Single().Value}' is not a service URL such as http://127.0.0.1:7878/");

    public static async Task<int> RunAsync(RenderCommand.Request r, byte[] glb, string sceneName, ImageFormat format, Vector3? background, CancellationToken cancellation)
    {
        using var client = await RenderServiceClient.ConnectAsync(r.Service!, Token(), cancellation);
        var request = new RenderRequest(RenderScene.FromGlb(glb, sceneName))
        {
            Width = r.Width, Height = r.Height, SamplesPerPixel = r.Spp, MaxBounces = r.Bounces,
            NoiseThreshold = r.NoiseThreshold, MinSamplesPerPixel = r.MinSpp, TileSize = r.Tile, Seed = r.Seed, Camera = r.Camera,
            Background = background, Mode = r.Mode == "raster" ? RenderQualityMode.Raster : RenderQualityMode.PathTraced,
            PixelFormat = PixelFormat.Rgba32FloatLinear, Name = sceneName,
        };
        foreach (var source in r.SceneSources ?? []) request.SceneSources.Add(source);
        if (r.Frames is not null)
        {
            var (first, last) = RenderCommand.ParseFrames(r.Frames);
            request.Frames = new FrameRange(first, last, r.Fps, r.Animation);
        }
        var job = client.CreateJob(request);
        job.Warning += w => Console.Error.WriteLine($"rendernet: warning: {w}");
        job.ProgressChanged += p =>
        {
            if (!r.Json) Console.Error.Write($"\rrendernet: {p.TilesDone}/{p.TilesTotal} tiles, {p.Cost} RNT, ETA {p.Eta?.TotalSeconds:F0} s   ");
        };
        Console.Error.WriteLine($"rendernet: job {job.Id} on {client.ServiceAddress}");
        job.Start(cancellation);
        RenderResult result;
        try
        {
            result = await job.Completion;
        }
        catch (RenderServiceException ex)
        {
            if (!r.Json) Console.Error.WriteLine();
            throw ex.Kind switch
            {
                RenderErrorKind.InvalidScene => new ArgumentException(ex.Message, ex),
                _ => new RenderNet.Farm.FarmException(ex.Message, []),
            };
        }
        if (!r.Json) Console.Error.WriteLine();
        var outputs = new List<string>();
        for (int i = 0; i < result.Frames.Count; i++)
        {
            var frame = result.Frames[i];
            string path = r.Frames is null ? r.Output : RenderCommand.FramePath(r.Output, request.Frames!.First + i);
            var pixels = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(frame.Pixels.Span).ToArray();
            ImageWriter.Write(new FloatImage(frame.Width, frame.Height, pixels), path, format);
            outputs.Add(path);
        }
        if (r.Json)
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                job = job.Id, service = client.ServiceAddress.ToString(), outputs, tiles = result.TilesDelivered, cost = result.Cost,
                seconds = Math.Round(result.Duration.TotalSeconds, 3), nodes = result.Receipt.Select(n => new { n.Node, n.Tiles, n.Paid }),
            }));
        else Console.Error.WriteLine($"rendernet: wrote {string.Join(", ", outputs)} ({result.TilesDelivered} tiles, {result.Cost} RNT, {result.Duration.TotalSeconds:F1} s)");
        return ExitCodes.Success;
    }
}
