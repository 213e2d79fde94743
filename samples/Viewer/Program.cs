// The artists' sample viewer: a raster preview of a glTF scene to orbit, pan and zoom; R sends the view to the render
// network (4 paid local nodes by default) through a coordinator service and the engine client (RenderNet.Client) and the path-traced tiles appear as they arrive.
// Headless (tests): xvfb-run rendernet-viewer SCENE --screenshot shot.png --frames 3 [--send-view].
using System.CommandLine;
using RenderNet.Core.Gltf;
using RenderNet.Core.Samples;
using RenderNet.Client;
using RenderNet.Viewer;

var scenePath = new Argument<string?>("scene") { Description = "A .gltf or .glb file (default: the built-in Cornell-box sample)", Arity = ArgumentArity.ZeroOrOne };
var width = new Option<int>("--width", "-W") { Description = "Window and render width in pixels", DefaultValueFactory = _ => 800 };
var height = new Option<int>("--height", "-H") { Description = "Window and render height in pixels", DefaultValueFactory = _ => 450 };
var spp = new Option<int>("--spp") { Description = "Samples per pixel of network renders", DefaultValueFactory = _ => 16 };
var tile = new Option<int>("--tile") { Description = "Tile size of network renders", DefaultValueFactory = _ => 64 };
var localNodes = new Option<int>("--local-nodes") { Description = "Render nodes to start on this machine (when no --nodes are given; 0: preview only)", DefaultValueFactory = _ => 4 };
var free = new Option<bool>("--free") { Description = "Local nodes render for free (no local chain, no payments)" };
var nodes = new Option<string[]>("--nodes") { Description = "Render on these (free) nodes instead: host:port,host:port,...", CustomParser = r => r.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray(), DefaultValueFactory = _ => [] };
var service = new Option<Uri?>("--service")
{
    CustomParser = r => Uri.TryCreate(r.Tokens.Single().Value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri
        : throw new ArgumentException($"--service '{r.Tokens.Single().Value}' is not a service URL such as http://127.0.0.1:7878/"),
    Description = "Render through this running coordinator service (rendernet serve) instead of starting one; its token in $RENDERNET_SERVICE_TOKEN" };
var device = new Option<string?>("--device") { Description = "Vulkan device for the preview and the local nodes (index or name substring)" };
var screenshot = new Option<string?>("--screenshot") { Description = "Save the window to this PNG after --frames frames and exit (for tests, under xvfb-run)" };
var frames = new Option<int>("--frames") { Description = "With --screenshot: frames to draw first (counted after the render, with --send-view)", DefaultValueFactory = _ => 3 };
var sendView = new Option<bool>("--send-view") { Description = "Send the starting view to the network at once, as the R key does" };
var showOverlay = new Option<bool>("--overlay") { Description = "Start with the tile overlay on (the O key toggles it)" };
var orbit = new Option<float>("--orbit") { Description = "Start turned this many degrees around the scene (yaw), as if dragged" };
var denoise = new Option<bool>("--denoise") { Description = "Network renders are denoised (the D key toggles it)" };
var passes = new Option<string>("--passes") { Description = "Render passes network renders bring back, shown with the V key (e.g. albedo,normal,depth or all; empty: none)", DefaultValueFactory = _ => "albedo,normal,depth" };
var show = new Option<string?>("--show") { Description = "The view shown when a render finishes: beauty, noisy, albedo, normal, depth, … (as V cycles; for screenshots)" };
var saveDir = new Option<string>("--save-dir") { Description = "Where the S key saves PNGs", DefaultValueFactory = _ => "." };

var command = new RootCommand("RenderNet viewer: orbit a preview of a glTF scene, send the view to the render network, watch the tiles arrive")
{
    scenePath, width, height, spp, tile, localNodes, free, nodes, service, device, screenshot, frames, sendView, showOverlay, orbit, saveDir,
    denoise, passes, show,
};
command.SetAction(parse =>
{
    var options = new ViewerOptions(parse.GetValue(scenePath), parse.GetValue(width), parse.GetValue(height), parse.GetValue(spp), parse.GetValue(tile),
        parse.GetValue(localNodes), !parse.GetValue(free), parse.GetValue(nodes) ?? [], parse.GetValue(device), parse.GetValue(screenshot),
        parse.GetValue(frames), parse.GetValue(sendView), parse.GetValue(showOverlay), parse.GetValue(saveDir)!, parse.GetValue(orbit),
        parse.GetValue(service), Environment.GetEnvironmentVariable("RENDERNET_SERVICE_TOKEN"), parse.GetValue(denoise), parse.GetValue(passes)!, parse.GetValue(show));
    try
    {
        if (options.Width is < 16 or > 4096 || options.Height is < 16 or > 4096)
            throw new ArgumentException($"the window must be 16 to 4096 pixels per side, not {options.Width}x{options.Height}");
        if (options.LocalNodes is < 0 or > 16) throw new ArgumentException($"--local-nodes must be between 0 and 16, got {options.LocalNodes}");
        // The same .glb bytes are previewed here and sent to the nodes.
        byte[] glb = options.ScenePath is null ? CornellBox.Build().WriteGLB().ToArray() : GltfSceneLoader.ReadAsGlb(options.ScenePath);
        string name = options.ScenePath is null ? CornellBox.FileName : Path.GetFileName(options.ScenePath);
        var loaded = GltfSceneLoader.LoadGlb(glb, name);
        using var app = new ViewerApp(options, RenderScene.FromGlb(glb, name), loaded);
        return app.Run();
    }
    catch (Exception ex) when (ex is ArgumentException or IOException or InvalidOperationException or RenderNet.Core.Scenes.SceneException
                                   or RenderNet.Vulkan.VulkanException or RenderServiceException)
    {
        Console.Error.WriteLine($"rendernet-viewer: error: {ex.Message}");
        return 2;
    }
});
return command.Parse(args).Invoke();
