using System.Security.Cryptography;
using System.Text;

namespace RenderNet.Service;

/// <summary>
/// The bearer token every call must carry: 32 random bytes, generated on first start and kept owner-only (0600) in the
/// state directory, so only the service's user can read it (`rendernet serve token` prints it).
/// </summary>
public sealed class ServiceToken
{
    public const string FileName = "token";
    readonly byte[] expected;

    ServiceToken(string value)
    {
        Value = value;
        expected = Encoding.UTF8.GetBytes(value);
    }

    public string Value { get; }

    public static string PathIn(string stateDirectory) => Path.Combine(stateDirectory, FileName);

    /// <summary>The directory's token, created (0600) when there is none yet.</summary>
    public static ServiceToken LoadOrCreate(string stateDirectory)
    {
        string path = PathIn(stateDirectory);
        if (File.Exists(path)) return Load(stateDirectory);
        string value = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var file = new FileStream(path, options))
        using (var writer = new StreamWriter(file)) writer.Write(value);
        return new ServiceToken(value);
    }

    /// <summary>The directory's token; refuses one that others can read.</summary>
    public static ServiceToken Load(string stateDirectory)
    {
        string path = PathIn(stateDirectory);
        if (!File.Exists(path)) throw new FileNotFoundException($"no service token in {stateDirectory}: start `rendernet serve` there once", path);
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
            throw new UnauthorizedAccessException($"{path} can be read by other users: chmod 600 it");
        string value = File.ReadAllText(path).Trim();
        if (value.Length < 32) throw new InvalidDataException($"{path} does not hold a service token");
        return new ServiceToken(value);
    }

    /// <summary>The WebSocket subprotocol a browser names, with the token as the second one, in place of a header it cannot set.</summary>
    public const string WebSocketProtocol = "rendernet.bearer";

    /// <summary>Whether a WebSocket request's Sec-WebSocket-Protocol list is "rendernet.bearer, TOKEN" (constant time).</summary>
    public bool AcceptsWebSocketProtocols(IList<string> protocols) =>
        protocols.Count == 2 && protocols[0] == WebSocketProtocol
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(protocols[1]), expected);

    /// <summary>Whether an Authorization header carries this token (compared in constant time).</summary>
    public bool Accepts(string? authorization)
    {
        const string scheme = "Bearer ";
        if (authorization is null || !authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return false;
        var given = Encoding.UTF8.GetBytes(authorization[scheme.Length..].Trim());
        return CryptographicOperations.FixedTimeEquals(given, expected);
    }
}
