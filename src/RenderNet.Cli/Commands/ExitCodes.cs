namespace RenderNet.Cli.Commands;

/// <summary>Process exit codes, stable for scripts.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    /// <summary>The scene or a setting is wrong: fix the input.</summary>
    public const int InvalidInput = 2;
    /// <summary>No Vulkan device, the device failed or was lost.</summary>
    public const int DeviceError = 3;
    /// <summary>The output could not be written.</summary>
    public const int OutputError = 4;
    /// <summary>A farm job could not finish: no healthy render node remained (the message lists each node's fate).</summary>
    public const int FarmFailed = 5;
    /// <summary>A chain or payment operation failed (no anvil, a refused transaction, an unreadable keystore).</summary>
    public const int PaymentFailed = 6;
    /// <summary>A tool the job needs is not installed (ffmpeg for transcode jobs).</summary>
    public const int MissingTool = 7;
    public const int Cancelled = 130;
}
