// A studio tool on the RenderNet engine client: start a local coordinator service (4 paid nodes on a local chain),
// check the request and its estimate, render the sample scene with live tile events, save the frame, print the receipt.
using RenderNet.Client;

string output = args.Length > 0 ? args[0] : "quickstart.png";
int nodes = args.Length > 1 ? int.Parse(args[1]) : 4;

using var service = await RenderServiceClient.StartLocalAsync(new LocalServiceOptions { Nodes = nodes, Paid = true, Budget = 1m });
var request = new RenderRequest(RenderScene.Sample()) { Width = 320, Height = 240, SamplesPerPixel = 16, TileSize = 64 };

var estimate = await service.ValidateAsync(request);
foreach (var problem in estimate.Problems) Console.WriteLine(problem);
if (!estimate.CanRender) return 1;
Console.WriteLine($"{estimate.TilesPerFrame} tiles on {estimate.CompatibleNodes.Count} nodes: about {estimate.EstimatedCost} tokens " +
                  $"(at most {estimate.MaximumCost}), about {estimate.EstimatedDuration?.TotalSeconds:F1} s");

var job = service.CreateJob(request);
job.TileCompleted += tile => Console.WriteLine(
    $"tile {tile.Image.X},{tile.Image.Y} {tile.Image.Width}x{tile.Image.Height} ({tile.Image.Format}, stride {tile.Image.Stride}) from {tile.Node}");
job.ProgressChanged += p => Console.WriteLine($"  {p.TilesDone}/{p.TilesTotal} tiles, {p.Cost} tokens, ETA {p.Eta?.TotalSeconds:F1} s");
job.Start();
var result = await job.Completion;

result.Frames[0].SavePng(output);
Console.WriteLine($"saved {Path.GetFullPath(output)} in {result.Duration.TotalSeconds:F1} s (job {job.Id})");
foreach (var line in result.Receipt)
    Console.WriteLine($"receipt: {line.Node} ({line.Address}) {line.Tiles} tiles, {line.SpotChecks} spot checks, {line.Paid} tokens");
Console.WriteLine($"total: {result.Cost} tokens");
return 0;
