namespace RenderNet.Node;

/// <summary>
/// A paid node's state directory (vouchers, ledger), held with an exclusive lock for the life of the process: two node
/// processes sharing one payout key must not keep two ledgers, or each would count the other's payments as its own.
/// </summary>
public sealed class StateDirectory : IDisposable
{
    readonly FileStream lockFile;

    public string Path { get; }

    StateDirectory(string path, FileStream lockFile)
    {
        Path = path;
        this.lockFile = lockFile;
    }

    /// <summary>Where a node paid to <paramref name="payoutAddress"/> keeps its state when --state is not given.</summary>
    public static string DefaultFor(string payoutAddress)
    {
        string data = Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } xdg ? xdg
            : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        return System.IO.Path.Combine(data, "rendernet", $"node-{payoutAddress.ToLowerInvariant()}");
    }

    /// <exception cref="IOException">Another process holds the directory.</exception>
    public static StateDirectory Acquire(string path)
    {
        var info = Directory.CreateDirectory(path);
        if (!OperatingSystem.IsWindows()) info.UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        try
        {
            var lockFile = new FileStream(System.IO.Path.Combine(path, "lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            return new StateDirectory(path, lockFile);
        }
        catch (IOException ex)
        {
            throw new IOException($"the node state directory {path} is in use by another node process; give each process its own payout key, or stop the other one", ex);
        }
    }

    public void Dispose() => lockFile.Dispose();
}
