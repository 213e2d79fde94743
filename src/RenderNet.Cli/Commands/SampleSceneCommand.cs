using System.CommandLine;
using RenderNet.Core.Samples;

namespace RenderNet.Cli.Commands;

/// <summary>`rendernet sample-scene OUT.glb`: writes RenderNet's Cornell-box sample scene.</summary>
static class SampleSceneCommand
{
    public static Command Create()
    {
        var output = new Argument<string>("output") { Description = "Where to write the .glb", DefaultValueFactory = _ => Path.Combine("samples", CornellBox.FileName) };
        var command = new Command("sample-scene", "Write the built-in Cornell-box sample scene as a .glb") { output };
        command.SetAction((parse, _) => UserErrors.Run(() =>
        {
            string path = parse.GetValue(output)!;
            CornellBox.Write(path);
            Console.WriteLine(path);
            return Task.FromResult(ExitCodes.Success);
        }));
        return command;
    }
}
