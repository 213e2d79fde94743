using Grpc.Core;
using RenderNet.Protocol;

namespace RenderNet.Farm;

/// <summary>
/// The nodes of one job: who they are (capabilities), whether they may take part (price and payee policy, pipeline
/// fingerprint, a conviction in an earlier run), and their health as the job goes on (consecutive failures exclude a
/// node). Counters change under the farm's lock; connecting happens before the job's workers start.
/// </summary>
internal sealed class FarmRoster(FarmWorkload work, FarmOptions options, Action<string> warn) : IDisposable
{
    readonly List<FarmNode> nodes = [];
    /// <summary>The addresses in <see cref="nodes"/>: the service offers every node to running jobs again and again.</summary>
    readonly HashSet<string> addresses = [];

    public IReadOnlyList<FarmNode> All => nodes;
    public IEnumerable<FarmNode> Healthy => nodes.Where(n => n.Healthy);
    /// <summary>Healthy nodes the job has not given up (<see cref="FarmNode.Released"/>): those that take its work.</summary>
    public IEnumerable<FarmNode> Working => nodes.Where(n => n.Healthy && !n.Released);
    public bool AnyHealthy => nodes.Any(n => n.Healthy);

    public void Add(IEnumerable<string> addresses)
    {
        foreach (var address in addresses.Distinct())
            if (this.addresses.Add(address)) nodes.Add(Open(address));
    }

    /// <summary>A node not yet in the job: connected to, but not counted until <see cref="Attach"/> (under the farm's lock).</summary>
    public FarmNode Open(string address) => new(options.Connector.Connect(address, work.MaxReplyBytes));

    public bool Contains(string address) => addresses.Contains(address);

    /// <summary>Adds a node that joined the running job (under the farm's lock: the list is read there).</summary>
    public void Attach(FarmNode node)
    {
        if (addresses.Add(node.Client.Address)) nodes.Add(node);
    }

    /// <summary>A node outvoted in an earlier run of this job stays out (its tiles were dropped from the journal then).</summary>
    public void ExcludeConvicted(IReadOnlyDictionary<string, string> convicted)
    {
        foreach (var n in nodes.Where(n => convicted.ContainsKey(n.Client.Address)))
        {
            n.Convicted = true;
            n.Excluded = $"convicted in an earlier run of this job: {convicted[n.Client.Address]}";
        }
    }

    /// <summary>Asks every healthy node for its capabilities and keeps those that offer this kind of work at an acceptable price.</summary>
    public Task ConnectAllAsync(CancellationToken cancellation) => Task.WhenAll(Healthy.ToList().Select(n => ConnectAsync(n, cancellation)));

    /// <summary>Probes one node (capabilities, price, record, the job's selection); sets <see cref="FarmNode.Excluded"/> when it may not take part.</summary>
    public async Task ConnectAsync(FarmNode node, CancellationToken cancellation)
    {
        try
        {
            node.Caps = await node.Client.GetCapabilitiesAsync(options.ConnectTimeout, cancellation);
            // Per attempt, as the farm measures it: a node running several tiles at once shares its speed among them.
            node.DeclaredRate = work.DeclaredRate(node.Caps) / Math.Max(1u, node.Caps.MaxConcurrentTiles);
            if (!node.Caps.JobKinds.Contains(work.JobKind)) node.Excluded = $"does not offer {work.JobKind} jobs";
            else if (PriceProblem(node.Client.Address, node.Caps) is { } problem) node.Excluded = problem;
            else if (options.Reputation is { } reputation && (node.History = reputation.Find(node.Identity)) is { } history
                     && new ReputationPolicy(options).StandingOf(history) == NodeStanding.Denied)
                node.Excluded = $"denied by its record: {history.Denied ?? "convicted of a lie"}";
            else if (options.Selection is { } selection && SelectionProblem(node, selection) is { } unwanted) node.Excluded = unwanted;
        }
        catch (RpcException ex) when (!cancellation.IsCancellationRequested)
        {
            node.Excluded = ex.StatusCode == StatusCode.FailedPrecondition ? Printable.Clean(ex.Status.Detail) : $"unreachable: {Printable.Clean(ex.Status.Detail)}";
        }
    }

    /// <summary>Why the job's selection leaves the node out, or null (and marks it preferred when the job prefers it).</summary>
    string? SelectionProblem(FarmNode node, NodeSelection selection)
    {
        var tags = NodeTags.Of(node.Identity, node.Caps!, options.Pools);
        if (selection.Deny is { } deny && deny.Matches(tags)) return $"denied by the job ({deny})";
        if (selection.Require is { } require && !require.Matches(tags)) return $"not among the nodes the job requires ({require})";
        node.Preferred = selection.Prefer?.Matches(tags) ?? false;
        return null;
    }

    /// <summary>Why a node's asking price or payee is not acceptable to this job, or null.</summary>
    string? PriceProblem(string address, Capabilities caps)
    {
        if (caps.PaymentAddress.Length == 0) return null;
        // A joined node proved its key when it joined: paying anyone else would pay whoever sits in the middle.
        if (JoinedNodeAddress.PayoutOf(address) is { } proven && !string.Equals(caps.PaymentAddress, proven, StringComparison.OrdinalIgnoreCase))
            return $"joined as {proven} but wants to be paid at {Printable.Short(caps.PaymentAddress, 42)}";
        if (options.MaxPrice is { } max && caps.PricePerTile > max)
            return $"asks {caps.PricePerTile} per price unit, above this job's maximum of {max}";
        if (options.Registered?.GetValueOrDefault(address) is { } entry)
        {
            if (caps.PricePerTile > entry.PricePerTile)
                return $"asks {caps.PricePerTile} per price unit, more than the {entry.PricePerTile} it registered";
            if (!string.Equals(caps.PaymentAddress, entry.Address, StringComparison.OrdinalIgnoreCase))
                return $"wants to be paid at {Printable.Short(caps.PaymentAddress, 42)}, not at its registered address {entry.Address}";
        }
        return null;
    }

    /// <summary>Results must be interchangeable: nodes whose pipeline fingerprint differs from the job's (by default the majority's) are excluded.</summary>
    public void ApplyFingerprintPolicy()
    {
        var reachable = Healthy.ToList();
        if (reachable.Count == 0) return;
        string expected = Fingerprint = options.ExpectedFingerprint
            ?? reachable.GroupBy(n => work.FingerprintOf(n.Caps!)).OrderByDescending(g => g.Count()).ThenBy(g => reachable.IndexOf(g.First())).First().Key;
        foreach (var node in reachable.Where(n => work.FingerprintOf(n.Caps!) != expected)) CheckFingerprint(node);
    }

    /// <summary>The job's pipeline fingerprint, settled by <see cref="ApplyFingerprintPolicy"/> (null before).</summary>
    public string? Fingerprint { get; private set; }

    /// <summary>Excludes (or, when allowed, warns about) a node whose fingerprint is not the job's.</summary>
    public void CheckFingerprint(FarmNode node)
    {
        string expected = Fingerprint ?? options.ExpectedFingerprint ?? work.FingerprintOf(node.Caps!);
        Fingerprint ??= expected;
        if (work.FingerprintOf(node.Caps!) == expected) return;
        string message = $"node {node.Name} has pipeline fingerprint {Printable.Short(work.FingerprintOf(node.Caps!))}, the job's is {Printable.Short(expected)}: its tiles would not be bit-identical";
        if (options.AllowMixedPipelines)
            warn(message + " (allowed)");
        else
        {
            node.Excluded = message;
            warn(message + "; it is excluded (allow with --allow-mixed-pipelines)");
        }
    }

    /// <summary>
    /// Counts a failed attempt against its node (under the farm's lock); returns whether that took the node out of the
    /// job. A node that lost the scene is out at once (no surprise uploads mid-job); otherwise after
    /// <see cref="FarmOptions.MaxConsecutiveFailures"/> in a row.
    /// </summary>
    public bool RecordFailure(FarmNode node, string outcome, bool lostScene)
    {
        bool wasHealthy = node.Healthy;
        node.Failures++;
        node.ConsecutiveFailures++;
        if (lostScene) node.Excluded = "lost the scene from its cache";
        else if (node.ConsecutiveFailures >= options.MaxConsecutiveFailures)
            node.Excluded = $"{node.ConsecutiveFailures} consecutive failures, last: {outcome}";
        return wasHealthy && !node.Healthy;
    }

    /// <summary>A node delivered a valid result in <paramref name="elapsed"/> (under the farm's lock).</summary>
    public static void RecordDelivery(FarmNode node, long work, TimeSpan elapsed, double nodeSeconds)
    {
        node.Tiles++;
        node.ConsecutiveFailures = 0;
        node.TimeoutsInARow = 0;
        node.BusySince = null;
        node.RenderTime += TimeSpan.FromSeconds(nodeSeconds);
        node.Rate = DeadlinePolicy.Smooth(node.Rate, work, elapsed);
    }

    /// <summary>The median speed of the nodes that delivered (0 before any did).</summary>
    public double FleetRate() => DeadlinePolicy.FleetRate(nodes.Select(n => n.Rate));
    public string Describe() => string.Join("; ", nodes.Select(n => $"{n.Name}: {(n.Excluded ?? $"{n.Tiles} tiles")}"));

    public IReadOnlyList<NodeReport> Reports(FarmPayments payments) =>
        nodes.Select(n => new NodeReport(n.Client.Address, n.Caps?.NodeId, n.Caps?.DeviceName, n.Caps?.PipelineFingerprint,
            n.Tiles, n.RenderTime, n.Failures, n.Excluded)
        {
            Paid = payments.PaidTo(n),
            RedeemTransaction = n.RedeemTransaction,
            SpotChecks = n.SpotChecks,
            PaidDuplicates = n.PaidDuplicates,
            Convicted = n.Convicted,
        }).ToList();

    public void Dispose()
    {
        foreach (var n in nodes) n.Client.Dispose();
    }
}
