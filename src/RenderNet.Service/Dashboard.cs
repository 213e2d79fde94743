using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace RenderNet.Service;

/// <summary>
/// The studio dashboard: three static files (plain HTML, CSS and JavaScript, embedded in this assembly: nothing is
/// fetched from elsewhere) served at <c>/</c> and <c>/dashboard/</c>. They hold no data: the page asks for the token
/// (or takes it from a <c>#token=</c> login link) and reads everything through the API and its WebSockets.
/// </summary>
static class Dashboard
{
    static readonly Dictionary<string, (byte[] Bytes, string Type)> Files = Load();

    static Dictionary<string, (byte[], string)> Load()
    {
        var assembly = typeof(Dashboard).Assembly;
        var files = new Dictionary<string, (byte[], string)>();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("dashboard/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            string type = Path.GetExtension(name) switch
            {
                ".html" => "text/html; charset=utf-8", ".js" => "text/javascript; charset=utf-8", ".css" => "text/css; charset=utf-8",
                _ => "application/octet-stream",
            };
            files[name["dashboard/".Length..]] = (copy.ToArray(), type);
        }
        return files;
    }

    /// <summary>Whether a request is for one of the dashboard's files (served without the token).</summary>
    public static bool IsAsset(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) && (request.Path == "/" || request.Path.StartsWithSegments("/dashboard", out var rest) && Files.ContainsKey(rest.Value?.TrimStart('/') ?? ""));

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => File("index.html")).ExcludeFromDescription();
        app.MapGet("/dashboard/{file}", (string file) => File(file)).ExcludeFromDescription();
    }

    static IResult File(string name)
    {
        if (!Files.TryGetValue(name, out var file)) return ProblemResults.Of(404, $"no dashboard file '{Farm.Printable.Clean(name, 40)}'");
        return Results.Bytes(file.Bytes, file.Type);
    }
}
