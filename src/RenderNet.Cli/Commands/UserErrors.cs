using RenderNet.Core.Scenes;
using RenderNet.Farm;
using RenderNet.Vulkan;

namespace RenderNet.Cli.Commands;

/// <summary>
/// Turns the failures a user can cause or fix (bad input, missing device, unwritable output, Ctrl+C) into one
/// "rendernet: error: ..." line on stderr and an exit code; anything else is a bug and keeps its stack trace.
/// </summary>
static class UserErrors
{
    public static async Task<int> Run(Func<Task<int>> action)
    {
        try
        {
            // System.CommandLine registers its Ctrl+C handler only once the action first yields: yield now, so a
            // Ctrl+C during a synchronous start (local nodes coming up) cancels the job instead of killing the process.
            await Task.Yield();
            return await action();
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("rendernet: cancelled");
            return ExitCodes.Cancelled;
        }
        catch (Exception ex) when (Classify(ex) is int code)
        {
            Console.Error.WriteLine($"rendernet: error: {ex.Message}");
            return code;
        }
    }

    static int? Classify(Exception ex) => ex switch
    {
        RenderNet.Media.MediaToolMissingException => ExitCodes.MissingTool,
        SceneException or ArgumentException or FileNotFoundException or RenderNet.Media.MediaException or RenderNet.Service.ServiceConfigurationException => ExitCodes.InvalidInput,
        VulkanException => ExitCodes.DeviceError,
        FarmException or LocalNodeException => ExitCodes.FarmFailed,
        RenderNet.Payments.PaymentException => ExitCodes.PaymentFailed,
        IOException or UnauthorizedAccessException => ExitCodes.OutputError,
        _ => null,
    };
}
