using System.CommandLine;
using RenderNet.Cli.Commands;

var root = new RootCommand("RenderNet: tiled Vulkan path tracing of glTF 2.0 scenes and distributed video transcoding")
{
    DemoCommand.Create(),
    RenderCommand.Create(),
    TranscodeCommand.Create(),
    DevicesCommand.Create(),
    SampleSceneCommand.Create(),
    NodeCommand.Create(),
    NodesCommand.Create(),
    ChainCommand.Create(),
    ChannelsCommand.Create(),
    ServeCommand.Create(),
};
// On Ctrl+C/SIGTERM the actions get cancelled and are given time to stop render nodes and say so before exiting.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) });
