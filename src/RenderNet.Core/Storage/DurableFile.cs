using System.Runtime.InteropServices;

namespace RenderNet.Core.Storage;

/// <summary>
/// Writes that survive a power cut: the data goes to a temporary file that is flushed to disk, renamed over the target,
/// and then the directory itself is flushed, so the rename is durable too (without that last step, a crash can leave
/// the old file, or none). Files are created readable by their owner only: they hold vouchers, journals, assets.
/// </summary>
public static class DurableFile
{
    const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Atomically replaces <paramref name="path"/> with what <paramref name="write"/> writes.</summary>
    public static void Replace(string path, Action<Stream> write)
    {
        string temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = OwnerOnly;
        using (var stream = new FileStream(temp, options))
        {
            write(stream);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
        FlushDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>Flushes a file's data (after it was written some other way, e.g. by another process).</summary>
    public static void Flush(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Makes the directory's entries (renames, new files) durable; a no-op where the OS cannot open directories.</summary>
    public static void FlushDirectory(string directory)
    {
        if (OperatingSystem.IsWindows()) return;
        int fd = open(directory, ORdOnly); // a directory opens read-only; O_DIRECTORY's value differs between architectures
        if (fd < 0) throw new IOException($"cannot open directory {directory} to flush it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (fsync(fd) != 0) throw new IOException($"cannot flush directory {directory} (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = close(fd);
        }
    }

    const int ORdOnly = 0;

    [DllImport("libc", SetLastError = true)]
    static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    static extern int fsync(int fd);

    [DllImport("libc", SetLastError = true)]
    static extern int close(int fd);
}
