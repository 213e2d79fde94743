using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace RenderNet.Client
{
    /// <summary>
    /// A `rendernet serve --local-nodes N` child process on loopback: it starts its own nodes (and chain, when paid) and
    /// stops them when its standard input closes — which happens on <see cref="Dispose"/> and also when this process
    /// dies, so no service, node or chain outlives the application that started it. The wallet's key stays in the
    /// service; this process learns only the address and the token (read from the service's state directory).
    /// </summary>
    sealed class LocalService : IDisposable
    {
        const string ReadyPrefix = "rendernet serve: listening on ";
        readonly Process process;
        readonly string? temporaryState;

        LocalService(Process process, Uri address, string token, string? temporaryState)
        {
            this.process = process;
            Address = address;
            Token = token;
            this.temporaryState = temporaryState;
        }

        public Uri Address { get; }
        public string Token { get; }

        public static async Task<LocalService> StartAsync(LocalServiceOptions options, CancellationToken cancellation)
        {
            if (options.Nodes < 1 || options.Nodes > 64) throw new ArgumentException($"a local service has 1 to 64 nodes, not {options.Nodes}");
            if (!(options.SpotCheckRate >= 0 && options.SpotCheckRate <= 1)) throw new ArgumentException($"the spot-check rate must be between 0 and 1, got {options.SpotCheckRate}");
            string? temporary = null;
            string state = options.StateDirectory ?? (temporary = Path.Combine(Path.GetTempPath(), "rendernet-service-" + Guid.NewGuid().ToString("N").Substring(0, 12)));
            var (file, prefix) = Locate(options.ServiceProgram);
            var arguments = new List<string>(prefix)
            {
                "serve", "--listen", "http://127.0.0.1:0", "--state", state,
                "--spot-check", options.SpotCheckRate.ToString("R", CultureInfo.InvariantCulture), "--exit-with-stdin",
            };
            if (options.NodeAddresses is { Length: > 0 } addresses) arguments.AddRange(new[] { "--nodes", string.Join(",", addresses) });
            else arguments.AddRange(new[] { "--local-nodes", options.Nodes.ToString(CultureInfo.InvariantCulture) });
            if (options.Paid && !(options.NodeAddresses is { Length: > 0 })) arguments.AddRange(new[] { "--pay", "--price", options.PricePerUnit });
            if (options.Budget is decimal budget) arguments.AddRange(new[] { "--budget", budget.ToString(CultureInfo.InvariantCulture) });
            if (options.Device != null) arguments.AddRange(new[] { "--device", options.Device });

            var start = new ProcessStartInfo(file)
            {
                RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
                Arguments = string.Join(" ", arguments.ConvertAll(Quote)),
            };
            Process process;
            try
            {
                process = Process.Start(start) ?? throw new InvalidOperationException("no process");
            }
            catch (Exception ex) when (ex is System.ComponentModel.Win32Exception || ex is InvalidOperationException)
            {
                throw new RenderServiceException(RenderErrorKind.Service, $"the RenderNet service ({file}) could not be started: {ex.Message}", ex);
            }
            var errors = new System.Text.StringBuilder();
            process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (errors) if (errors.Length < 8000) errors.AppendLine(e.Data); };
            process.BeginErrorReadLine();
            var ready = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data == null) { ready.TrySetException(new EndOfStreamException("the service exited")); return; }
                if (e.Data.StartsWith(ReadyPrefix, StringComparison.Ordinal) && Uri.TryCreate(e.Data.Substring(ReadyPrefix.Length).Trim(), UriKind.Absolute, out var uri))
                    ready.TrySetResult(uri);
            };
            process.BeginOutputReadLine();
            try
            {
                var timeout = Task.Delay(TimeSpan.FromSeconds(options.StartTimeoutSeconds), cancellation);
                if (await Task.WhenAny(ready.Task, timeout).ConfigureAwait(false) != ready.Task)
                {
                    cancellation.ThrowIfCancellationRequested();
                    throw new TimeoutException($"it did not listen within {options.StartTimeoutSeconds:0} s");
                }
                var address = await ready.Task.ConfigureAwait(false);
                string token = File.ReadAllText(Path.Combine(state, "token")).Trim();
                return new LocalService(process, new Uri(address.ToString().TrimEnd('/') + "/"), token, temporary);
            }
            catch (Exception ex) when (!(ex is OperationCanceledException))
            {
                Stop(process);
                string said;
                lock (errors) said = errors.ToString().Trim();
                throw new RenderServiceException(RenderErrorKind.Service,
                    $"the local RenderNet service did not start: {ex.Message}{(said.Length > 0 ? ": " + said : "")}", ex);
            }
            catch
            {
                Stop(process);
                throw;
            }
        }

        /// <summary>The program: an explicit path, $RENDERNET_PROGRAM, or rendernet(.dll) beside this application.</summary>
        static (string File, string[] Prefix) Locate(string? program)
        {
            program ??= Environment.GetEnvironmentVariable("RENDERNET_PROGRAM");
            if (program == null)
            {
                string dll = Path.Combine(AppContext.BaseDirectory, "rendernet.dll");
                string exe = Path.Combine(AppContext.BaseDirectory, "rendernet");
                program = File.Exists(dll) ? dll : File.Exists(exe) ? exe
                    : throw new RenderServiceException(RenderErrorKind.Service,
                        $"no rendernet program beside {AppContext.BaseDirectory}: set LocalServiceOptions.ServiceProgram or $RENDERNET_PROGRAM to rendernet.dll");
            }
            return program.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? ("dotnet", new[] { program }) : (program, Array.Empty<string>());
        }

        static string Quote(string argument) =>
            argument.Length > 0 && argument.IndexOfAny(new[] { ' ', '"', '\'', '\\' }) < 0 ? argument : "\"" + argument.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

        static void Stop(Process process)
        {
            try
            {
                // Closing stdin asks the service to stop its nodes and chain and exit; a kill is the last resort.
                process.StandardInput.Close();
                if (!process.WaitForExit(30_000)) process.Kill();
            }
            catch (Exception ex) when (ex is InvalidOperationException || ex is IOException || ex is System.ComponentModel.Win32Exception)
            {
                // already gone
            }
        }

        public void Dispose()
        {
            Stop(process);
            process.Dispose();
            if (temporaryState != null)
            {
                try { Directory.Delete(temporaryState, recursive: true); }
                catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException) { }
            }
        }
    }
}
