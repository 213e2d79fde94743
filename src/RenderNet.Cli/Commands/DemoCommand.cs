using System.CommandLine;
using RenderNet.Core.Samples;

namespace RenderNet.Cli.Commands;

/// <summary>
/// `rendernet demo`: the whole story on the embedded default, in one command. A local anvil chain with the contracts,
/// N paid render nodes, the Cornell-box sample farmed out tile by tile with live progress, the receipt, the image
/// and a timeline of the job (a row per node, a bar per tile attempt).
/// </summary>
static class DemoCommand
{
    public static Command Create()
    {
        var nodes = new Option<int>("--nodes") { Description = "Paid render nodes to start on this machine", DefaultValueFactory = _ => 4 };
        var width = new Option<int>("--width", "-W") { Description = "Image width in pixels", DefaultValueFactory = _ => 480 };
        var height = new Option<int>("--height", "-H") { Description = "Image height in pixels", DefaultValueFactory = _ => 360 };
        var spp = new Option<int>("--spp") { Description = "Samples per pixel", DefaultValueFactory = _ => 32 };
        var tile = new Option<int>("--tile") { Description = "Tile size in pixels", DefaultValueFactory = _ => 60 };
        var output = new Option<string>("--out", "-o") { Description = "The image (.png or .pfm)", DefaultValueFactory = _ => "out/demo.png" };
        var timeline = new Option<string>("--timeline") { Description = "The job's timeline (.png)", DefaultValueFactory = _ => "out/demo-timeline.png" };
        var device = new Option<string?>("--device") { Description = "Vulkan device of the nodes (index or name substring)" };
        var spotCheck = new Option<double>("--spot-check") { Description = "Share of tiles rendered again on another node and compared bit for bit", DefaultValueFactory = _ => 0.1 };
        var journal = new Option<string>("--journal") { Description = "Directory of job journals", DefaultValueFactory = _ => RenderCommand.DefaultJournalDirectory };
        var json = new Option<bool>("--json") { Description = "Print a machine-readable JSON summary on stdout" };
        var service = new Option<Uri?>("--service")
        {
            CustomParser = ServiceRender.ParseAddress,
            Description = "Render the sample on this running coordinator service (rendernet serve) and its nodes instead; token in $RENDERNET_SERVICE_TOKEN (default: the local service's)",
        };
        var command = new Command("demo", "Render the sample scene on a local paid network: chain, nodes, live progress, receipt, image and timeline")
        {
            nodes, width, height, spp, tile, output, timeline, device, spotCheck, journal, json, service,
        };
        command.SetAction((parse, cancellation) => UserErrors.Run(() =>
        {
            int n = parse.GetValue(nodes);
            if (n < 1 || n > 16) throw new ArgumentException($"--nodes must be between 1 and 16, got {n}");
            var request = new RenderCommand.Request(
                Scene: null, Width: parse.GetValue(width), Height: parse.GetValue(height), Spp: parse.GetValue(spp), Bounces: 6,
                Tile: parse.GetValue(tile), Seed: 0, Camera: null, Device: parse.GetValue(device), Background: null,
                Output: parse.GetValue(output)!, BitDepth: 8, Validation: false, Json: parse.GetValue(json),
                Nodes: [], LocalNodes: n, Journal: parse.GetValue(journal)!, Resume: null, AllowMixed: false, TileTimeout: 120,
                Pay: true, Price: 1_000_000_000_000_000UL, Rpc: null, Escrow: null, Token: null, Registry: null, PayerKeystore: null, Mode: "path",
                Timeline: parse.GetValue(timeline), SpotCheck: parse.GetValue(spotCheck));
            if (parse.GetValue(service) is { } url)
            {
                // The service brings its own nodes, wallet and journal: the demo only submits the sample and follows it.
                request = request with { LocalNodes = 0, Pay = false, Timeline = null, Service = url };
                if (!request.Json)
                    Console.Error.WriteLine($"rendernet demo: {CornellBox.FileName} at {request.Width}x{request.Height}, {request.Spp} spp, on the service at {url}");
                return RenderCommand.Execute(request, cancellation);
            }
            if (!request.Json)
                Console.Error.WriteLine($"rendernet demo: {CornellBox.FileName} at {request.Width}x{request.Height}, {request.Spp} spp, on {n} render nodes " +
                                        $"paid 0.001 RNT per tile on a local chain started for the demo; {request.SpotCheck:P0} of tiles spot-checked on a second node");
            return RenderCommand.Execute(request, cancellation);
        }));
        return command;
    }
}
