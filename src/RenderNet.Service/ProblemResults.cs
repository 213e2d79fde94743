using Microsoft.AspNetCore.Http;

namespace RenderNet.Service;

/// <summary>
/// RFC 7807 problem details with RenderNet's error kind ("kind": the client's RenderErrorKind name) and, for a bad
/// field, its name ("errors": field → messages), so a client branches on the kind, never on the text.
/// </summary>
static class ProblemResults
{
    public static IResult Of(int status, string detail, string kind = "Service", string? field = null)
    {
        var extensions = new Dictionary<string, object?> { ["kind"] = kind };
        if (field is not null) extensions["errors"] = new Dictionary<string, string[]> { [field] = [detail] };
        return Results.Problem(detail: detail, statusCode: status, extensions: extensions);
    }

    public static IResult Invalid(IReadOnlyList<(string Field, string Message)> errors) =>
        Results.Problem(detail: string.Join("; ", errors.Select(e => $"{e.Field}: {e.Message}")), statusCode: StatusCodes.Status400BadRequest,
            title: "The request cannot render", extensions: new Dictionary<string, object?>
            {
                ["kind"] = "InvalidScene",
                ["errors"] = errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()),
            });
}
