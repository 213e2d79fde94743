using System;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace RenderNet.Client
{
    /// <summary>
    /// HTTP/1.1 JSON calls to the service with its bearer token; every call has a deadline, and a refusal becomes a
    /// <see cref="RenderServiceException"/> of the kind the service named (RFC 7807 problem details with a "kind").
    /// </summary>
    sealed class ServiceConnection : IDisposable
    {
        readonly HttpClient http;

        public ServiceConnection(Uri baseAddress, string token, TimeSpan timeout)
        {
            if (baseAddress.Scheme != "http" && baseAddress.Scheme != "https")
                throw new ArgumentException($"the service address must be http:// or https://, got {baseAddress}");
            BaseAddress = baseAddress;
            Token = token;
            // HTTP/1.1 only: Mono's HttpClient (Unity) has no HTTP/2, and nothing here needs it.
            http = new HttpClient { BaseAddress = baseAddress, Timeout = timeout };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        public Uri BaseAddress { get; }
        internal string Token { get; }

        public Task<T> GetAsync<T>(string path, CancellationToken cancellation) => SendAsync<T>(HttpMethod.Get, path, null, cancellation);

        public Task<T> PostAsync<T>(string path, object? body, CancellationToken cancellation) => SendAsync<T>(HttpMethod.Post, path, body, cancellation);

        public Task<T> PutAsync<T>(string path, object? body, CancellationToken cancellation) => SendAsync<T>(HttpMethod.Put, path, body, cancellation);

        async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellation)
        {
            using var request = new HttpRequestMessage(method, path);
            if (body != null) request.Content = new StringContent(JsonSerializer.Serialize(body, ServiceJson.Options), Encoding.UTF8, "application/json");
            using var response = await SendRawAsync(request, cancellation).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            try
            {
                return JsonSerializer.Deserialize<T>(text, ServiceJson.Options) ?? throw new JsonException("null");
            }
            catch (JsonException ex)
            {
                throw new RenderServiceException(RenderErrorKind.Service, $"the service at {BaseAddress} sent an unreadable answer to {method} {path}", ex);
            }
        }

        /// <summary>Sends a request; a status other than 2xx throws with the service's problem detail.</summary>
        public async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, CancellationToken cancellation)
        {
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellation).ConfigureAwait(false);
            }
            catch (HttpRequestException ex)
            {
                throw new RenderServiceException(RenderErrorKind.Service, $"the service at {BaseAddress} cannot be reached: {ex.Message}", ex);
            }
            catch (TaskCanceledException ex) when (!cancellation.IsCancellationRequested)
            {
                throw new RenderServiceException(RenderErrorKind.Service, $"the service at {BaseAddress} did not answer {request.Method} {request.RequestUri} within {http.Timeout.TotalSeconds:0} s", ex);
            }
            if (response.IsSuccessStatusCode) return response;
            using (response) throw await ProblemAsync(response).ConfigureAwait(false);
        }

        static async Task<RenderServiceException> ProblemAsync(HttpResponseMessage response)
        {
            string text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            string detail = $"{(int)response.StatusCode} {response.ReasonPhrase}";
            var kind = response.StatusCode == HttpStatusCode.NotFound ? RenderErrorKind.JobNotFound : RenderErrorKind.Service;
            try
            {
                using var doc = JsonDocument.Parse(text);
                var root = doc.RootElement;
                if (root.ValueKind == JsonValueKind.Object)
                {
                    if (root.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String) detail = d.GetString()!;
                    else if (root.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String) detail = t.GetString()!;
                    if (root.TryGetProperty("kind", out var k) && k.ValueKind == JsonValueKind.String && Enum.TryParse<RenderErrorKind>(k.GetString(), out var named))
                        kind = named;
                }
            }
            catch (JsonException)
            {
                // not problem details: the status line says enough
            }
            if (response.StatusCode == HttpStatusCode.Unauthorized)
                detail = "the service refused the token (401): use the one `rendernet serve token` prints";
            return RenderServiceException.For(kind, detail);
        }

        public void Dispose() => http.Dispose();
    }
}
