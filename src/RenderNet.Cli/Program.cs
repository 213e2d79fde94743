using System.CommandLine;
using RenderNet.Cli.Commands;

var root = new RootCommand("RenderNet: tiled Vulkan path tracing of glTF 2.0 scenes")
{
    RenderCommand.Create(),
    DevicesCommand.Create(),
    SampleSceneCommand.Create(),
    NodeCommand.Create(),
    NodesCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
