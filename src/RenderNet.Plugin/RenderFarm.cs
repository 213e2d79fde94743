using System.Numerics;
using Grpc.Core;
using RenderNet.Farm;
using RenderNet.Payments;
using RenderNet.Protocol;

namespace RenderNet.Plugin;

/// <summary>
/// The studio's handle on the render network: a set of nodes, a wallet that pays them and a budget. Create jobs with
/// <see cref="CreateJob"/> (or <see cref="RenderAsync"/>); one job renders at a time, later ones wait as
/// <see cref="RenderJobState.Queued"/>. Dispose it when done (a local network is stopped with it).
/// </summary>
public sealed class RenderFarm : IDisposable, IAsyncDisposable
{
    internal const decimal WeiPerToken = 1_000_000_000_000_000_000m;

    readonly LocalNetwork? local;
    readonly SemaphoreSlim turn = new(1, 1);
    readonly Lock gate = new();
    BigInteger spent;

    RenderFarm(IReadOnlyList<string> addresses, FarmPayer? payer, decimal? budget, TimeSpan connectTimeout, LocalNetwork? local, double spotCheckRate)
    {
        if (!(spotCheckRate >= 0 && spotCheckRate <= 1)) throw new ArgumentException($"the spot-check rate must be between 0 and 1, got {spotCheckRate}");
        SpotCheckRate = spotCheckRate;
        Addresses = addresses;
        Payer = payer;
        Budget = budget;
        ConnectTimeout = connectTimeout;
        this.local = local;
    }

    internal IReadOnlyList<string> Addresses { get; }
    internal double SpotCheckRate { get; }
    internal FarmPayer? Payer { get; }
    internal TimeSpan ConnectTimeout { get; }

    /// <summary>The most the farm may spend over all its jobs, in tokens; null: no cap.</summary>
    public decimal? Budget { get; }
    /// <summary>Tokens spent by this farm's jobs so far.</summary>
    public decimal Spent { get { lock (gate) return ToTokens(spent); } }
    /// <summary>The payer's address, when the farm pays.</summary>
    public string? PayerAddress => Payer?.PayerAddress;
    /// <summary>The nodes' addresses (host:port).</summary>
    public IReadOnlyList<string> NodeAddresses => Addresses;

    /// <summary>Connects to nodes listed in the options or found in the chain's registry.</summary>
    /// <exception cref="ArgumentException">The options are inconsistent (a chain without a wallet, no nodes…).</exception>
    /// <exception cref="NoCompatibleNodeException">The registry lists no node.</exception>
    public static Task<RenderFarm> ConnectAsync(RenderFarmOptions options, CancellationToken cancellationToken = default)
    {
        return OffCallerContext(Body, cancellationToken);

        async Task<RenderFarm> Body()
        {
            if (options.Budget is < 0) throw new ArgumentException($"the budget must not be negative, got {options.Budget}");
            if (options.Chain is not null && options.Wallet is null) throw new ArgumentException("a chain needs a wallet to pay from");
            if (options.Chain is null && options.Nodes.Count == 0) throw new ArgumentException("give the nodes to use, or a chain whose registry lists them");
            FarmPayer? payer = null;
            var addresses = options.Nodes.ToList();
            if (options.Chain is { } chain)
            {
                try
                {
                    long chainId = (long)(await new Nethereum.Web3.Web3(chain.RpcUrl).Eth.ChainId.SendRequestAsync()).Value;
                    var web3 = new Nethereum.Web3.Web3(new Nethereum.Web3.Accounts.Account(options.Wallet!.Key, chainId), chain.RpcUrl);
                    payer = FarmPayer.Create(web3, options.Wallet.Key, chainId, chain.EscrowAddress, chain.TokenAddress);
                    if (addresses.Count == 0 && chain.RegistryAddress is not null)
                        addresses = RegistryDiscovery.For(chain.RpcUrl, 0).Choose(await new RegistryClient(web3, chain.RegistryAddress, chain.TokenAddress).NodesAsync())
                            .Select(n => n.Endpoint).ToList();
                }
                catch (Exception ex) when (ex is HttpRequestException or Nethereum.JsonRpc.Client.RpcClientUnknownException or Nethereum.JsonRpc.Client.RpcResponseException or PaymentException)
                {
                    throw new ArgumentException($"the chain at {chain.RpcUrl} cannot be used: {ex.Message}");
                }
                if (addresses.Count == 0) throw new NoCompatibleNodeException($"the registry {chain.RegistryAddress ?? "(none given)"} lists no render node");
            }
            return new RenderFarm(addresses.Distinct().ToList(), payer, options.Budget, options.ConnectTimeout, null, options.SpotCheckRate);
        }
    }

    /// <summary>
    /// Starts a render network on this machine — node processes on loopback and, when paid, a local chain with
    /// RenderNet's contracts — and connects to it. For tools, tests and trying RenderNet out.
    /// </summary>
    /// <exception cref="LocalNetworkException">The nodes or the chain could not be started (the message says why).</exception>
    public static Task<RenderFarm> StartLocalAsync(LocalFarmOptions? options = null, CancellationToken cancellationToken = default)
    {
        return OffCallerContext(Body, cancellationToken);

        async Task<RenderFarm> Body()
        {
            options ??= new LocalFarmOptions();
            if (options.Budget is < 0) throw new ArgumentException($"the budget must not be negative, got {options.Budget}");
            if (options.PricePerTile < 0) throw new ArgumentException($"the price per tile must not be negative, got {options.PricePerTile}");
            LocalNetwork network;
            try
            {
                network = await LocalNetwork.StartAsync(new LocalNetworkOptions
                {
                    Nodes = options.Nodes, Paid = options.Paid, PricePerTile = ToWei(options.PricePerTile), Device = options.Device,
                    Program = options.NodeProgram is { } program
                        ? program.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? NodeCommandLine.ForDll(program) : new NodeCommandLine(program, [])
                        : null,
                }, cancellationToken);
            }
            catch (Exception ex) when (ex is LocalNodeException or FileNotFoundException or InvalidOperationException or PaymentException)
            {
                throw new LocalNetworkException("the local render network could not be started", ex);
            }
            return new RenderFarm(network.NodeAddresses, network.Payer, options.Budget, TimeSpan.FromSeconds(10), network, options.SpotCheckRate);
        }
    }

    /// <summary>
    /// Checks a request without spending anything: the scene and settings, and which nodes can take it (each measures
    /// its speed once, on a small tile of the sample scene); estimates cost and time. Never throws for a bad request:
    /// it lists the problems.
    /// </summary>
    public Task<RenderEstimate> ValidateAsync(RenderRequest request, CancellationToken cancellationToken = default)
    {
        return OffCallerContext(Body, cancellationToken);

        async Task<RenderEstimate> Body()
        {
            var plan = RenderPlan.For(request);
            if (!plan.CanRender) return new RenderEstimate { Problems = plan.Problems };
            var problems = plan.Problems.ToList();
            var (compatible, reasons) = await FindCompatibleAsync(calibrate: true, cancellationToken);
            if (compatible.Count == 0)
                problems.Add(new RenderProblem(ProblemSeverity.Error, $"no compatible render node: {string.Join("; ", reasons)}"));

            int tiles = plan.TilesPerFrame * plan.Frames.Count;
            // Nodes charge per price unit of work (WorkUnits: a tile of more pixel-samples costs more), the farm pays the same.
            long units = plan.Frames.Sum(f => new RenderNet.Core.Tiles.TilePlan(f.Width, f.Height, request.TileSize, request.TileSize).Tiles.Sum(t => WorkUnits.ForTile(f, t)));
            bool raster = request.Mode == RenderQualityMode.Raster;
            double Rate(Capabilities c) => raster ? c.RasterPixelsPerSecond : c.PathSamplesPerSecond;
            double totalRate = compatible.Sum(c => Rate(c.Caps));
            decimal maxPrice = compatible.Count == 0 ? 0 : compatible.Max(c => ToTokens(c.Caps.PricePerTile));
            // Tiles go to nodes as they free up, so each node's share of the tiles follows its speed.
            decimal expected = compatible.Count == 0 ? 0 : totalRate > 0
                ? compatible.Sum(c => (decimal)(Rate(c.Caps) / totalRate) * ToTokens(c.Caps.PricePerTile)) * units
                : compatible.Average(c => ToTokens(c.Caps.PricePerTile)) * units;
            double work = (double)request.Width * request.Height * (raster ? 1 : request.SamplesPerPixel) * plan.Frames.Count;
            TimeSpan? duration = totalRate > 0 ? TimeSpan.FromSeconds(work / totalRate) : null;

            if (LimitFor(request) is { } limit && compatible.Count > 0)
            {
                decimal cheapest = compatible.Min(c => ToTokens(c.Caps.PricePerTile));
                if (cheapest > limit)
                    problems.Add(new RenderProblem(ProblemSeverity.Error, $"the budget left ({limit} tokens) does not cover one tile at the cheapest node's price of {cheapest}"));
                else if (maxPrice * units > limit)
                    problems.Add(new RenderProblem(ProblemSeverity.Warning, $"the budget left ({limit} tokens) may stop the job early: its tiles can cost up to {maxPrice * units}"));
            }
            return new RenderEstimate
            {
                Problems = problems,
                TilesPerFrame = plan.TilesPerFrame,
                Frames = plan.Frames.Count,
                CompatibleNodes = compatible.Select(c => Describe(c.Address, c.Caps)).ToList(),
                // An estimate: shares of tiles come from measured speeds (doubles), so keep nano-token precision and drop the rest.
                EstimatedCost = Math.Round(expected * (1 + (decimal)SpotCheckRate), 9) / 1.000000000000000000000000000m, // the division drops trailing zeros
                MaximumCost = maxPrice * units * (SpotCheckRate > 0 ? 2 : 1),
                EstimatedDuration = duration,
            };
        }
    }

    /// <summary>
    /// A job for the request, not started yet: subscribe to its events, then call <see cref="RenderJob.Start"/>.
    /// </summary>
    public RenderJob CreateJob(RenderRequest request) => new(this, request);

    /// <summary>Renders a request to the end: create, start and await a job in one call.</summary>
    /// <exception cref="InvalidSceneException">The request cannot render.</exception>
    /// <exception cref="NoCompatibleNodeException">No node can take it.</exception>
    /// <exception cref="BudgetExhaustedException">The budget ran out first (the partial result is attached).</exception>
    /// <exception cref="RenderFailedException">The nodes failed.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public Task<RenderResult> RenderAsync(RenderRequest request, IProgress<RenderProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var job = CreateJob(request);
        if (progress is not null) job.ProgressChanged += progress.Report;
        job.Start(cancellationToken);
        return job.Completion;
    }

    /// <summary>Every node with what it reports about itself; unreachable nodes are left out.</summary>
    public Task<IReadOnlyList<RenderNodeInfo>> GetNodesAsync(CancellationToken cancellationToken = default)
    {
        return OffCallerContext(Body, cancellationToken);

        async Task<IReadOnlyList<RenderNodeInfo>> Body()
        {
            var (compatible, _) = await FindCompatibleAsync(calibrate: false, cancellationToken);
            return compatible.Select(c => Describe(c.Address, c.Caps)).ToList();
        }
    }

    /// <summary>The tokens the job may still spend: the least of its own cap and what is left of the farm's budget.</summary>
    internal decimal? LimitFor(RenderRequest request)
    {
        decimal? farmLeft = Budget is { } b ? Math.Max(0, b - Spent) : null;
        return (farmLeft, request.MaxCost) switch
        {
            (null, null) => null,
            ({ } f, null) => f,
            (null, { } m) => m,
            ({ } f, { } m) => Math.Min(f, m),
        };
    }

    internal void AddSpent(BigInteger wei)
    {
        lock (gate) spent += wei;
    }

    internal Task WaitForTurnAsync(CancellationToken cancellation) => turn.WaitAsync(cancellation);
    internal void EndTurn() => turn.Release();

    async Task<(List<(string Address, Capabilities Caps)> Compatible, List<string> Reasons)> FindCompatibleAsync(bool calibrate, CancellationToken cancellation)
    {
        // Calibration renders two small tiles per pipeline on the node: allow for pipeline builds on slow devices.
        var timeout = calibrate ? ConnectTimeout + TimeSpan.FromSeconds(120) : ConnectTimeout;
        var answers = await Task.WhenAll(Addresses.Select(async address =>
        {
            using var client = new NodeClient(address);
            try
            {
                return (address, caps: await client.GetCapabilitiesAsync(timeout, cancellation, calibrate), reason: (string?)null);
            }
            catch (RpcException ex) when (!cancellation.IsCancellationRequested)
            {
                return (address, caps: (Capabilities?)null, reason: $"{address}: unreachable ({ex.Status.Detail})");
            }
        }));
        var reasons = answers.Where(a => a.reason is not null).Select(a => a.reason!).ToList();
        var usable = new List<(string, Capabilities)>();
        foreach (var (address, caps, _) in answers.Where(a => a.caps is not null))
        {
            if (!caps!.JobKinds.Contains("path-trace")) reasons.Add($"{address}: does not render frames");
            else if (caps.PaymentAddress.Length > 0 && Payer is null) reasons.Add($"{address}: renders for pay, and this farm has no wallet");
            else if (caps.PaymentAddress.Length > 0 && (!string.Equals(caps.EscrowAddress, Payer!.EscrowAddress, StringComparison.OrdinalIgnoreCase) || (long)caps.ChainId != Payer.ChainId))
                reasons.Add($"{address}: is paid on escrow {caps.EscrowAddress} (chain {caps.ChainId}), not this wallet's");
            else usable.Add((address, caps));
        }
        // Tiles must be bit-identical wherever they render: the job uses the pipeline most nodes share.
        var majority = usable.GroupBy(u => u.Item2.PipelineFingerprint).OrderByDescending(g => g.Count()).FirstOrDefault()?.Key;
        foreach (var (address, caps) in usable.Where(u => u.Item2.PipelineFingerprint != majority))
            reasons.Add($"{address}: another pipeline ({Printable.Short(caps.PipelineFingerprint)}), its tiles would not match");
        return (usable.Where(u => u.Item2.PipelineFingerprint == majority).ToList(), reasons);
    }

    static RenderNodeInfo Describe(string address, Capabilities caps) =>
        new(caps.NodeId, address, caps.DeviceName, ToTokens(caps.PricePerTile), caps.PathSamplesPerSecond);

    /// <summary>
    /// Runs an entry point's body off the caller's SynchronizationContext (an engine's main thread): nothing inside
    /// waits for that thread, so a caller that blocks on the task cannot deadlock it.
    /// </summary>
    static Task<T> OffCallerContext<T>(Func<Task<T>> body, CancellationToken cancellation) => Task.Run(body, cancellation);

    internal static decimal ToTokens(BigInteger wei) => (decimal)wei / WeiPerToken;
    internal static BigInteger ToWei(decimal tokens) => new(decimal.Round(tokens * WeiPerToken, 0));

    /// <summary>Stops the local network, if this farm started one.</summary>
    public void Dispose() => local?.Dispose();

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
