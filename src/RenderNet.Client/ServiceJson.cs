using System.Globalization;
using System.Text.Json;

namespace RenderNet.Client
{
    /// <summary>The JSON settings of the service's API (web defaults: camelCase, case-insensitive reads).</summary>
    static class ServiceJson
    {
        public static readonly JsonSerializerOptions Options = new JsonSerializerOptions(JsonSerializerDefaults.Web);

        public static decimal Tokens(string? value) =>
            decimal.TryParse(value, NumberStyles.Number, CultureInfo.InvariantCulture, out var d) ? d : 0m;

        public static string Tokens(decimal value) => value.ToString(CultureInfo.InvariantCulture);
    }
}
