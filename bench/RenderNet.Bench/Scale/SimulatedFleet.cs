using System.Collections.Concurrent;
using RenderNet.Farm;

namespace RenderNet.Bench.Scale;

/// <summary>
/// A network of <see cref="SimulatedNode"/>s as a studio would meet it: speeds spread 100× (log-uniform, laptop iGPU to
/// datacentre GPU), round trips of 10–300 ms, uplinks of 10 Mbit/s–1 Gbit/s, and churn — each node leaves after an
/// exponentially distributed life (mean 1/churn hours) and new ones arrive at the same rate, so the fleet keeps its size
/// on average. Seeded: the same arguments give the same network. It is the coordinator's <see cref="INodeConnector"/>, and
/// the service's fleet.
/// </summary>
sealed class SimulatedFleet : RenderNet.Service.INodeFleet
{
    /// <summary>Speeds in work units (pixel-samples) per second: the slowest and fastest node.</summary>
    public const double SlowestSpeed = 10e6, FastestSpeed = 1e9;
    readonly ConcurrentDictionary<string, SimulatedNode> nodes = new();
    readonly List<ITimer> timers = [];
    readonly Random random;
    readonly SimulatedTime time;
    readonly double churnPerHour;
    int spawned;

    public SimulatedFleet(int count, double churnPerHour, SimulatedTime time, int seed)
    {
        random = new Random(seed);
        this.time = time;
        this.churnPerHour = churnPerHour;
        for (int i = 0; i < count; i++) Spawn();
        if (churnPerHour > 0) ScheduleArrival(count);
    }

    public int Left { get; private set; }
    public int Joined { get; private set; }
    /// <summary>Raised (on a timer thread) for every node that arrives after the start.</summary>
    public event Action<string>? Arrived;

    public IReadOnlyList<string> Present => nodes.Values.Where(n => !n.Left).Select(n => n.Address).ToList();
    public double PresentSpeed => nodes.Values.Where(n => !n.Left).Sum(n => n.WorkPerSecond);
    public IEnumerable<SimulatedNode> All => nodes.Values;

    public INodeConnection Connect(string address, int maxReplyBytes) =>
        nodes.TryGetValue(address, out var node) ? node : throw new ArgumentException($"no simulated node {address}");

    SimulatedNode Spawn()
    {
        SimulatedNode node;
        lock (random)
        {
            double speed = SlowestSpeed * Math.Pow(FastestSpeed / SlowestSpeed, random.NextDouble());
            var roundTrip = TimeSpan.FromMilliseconds(10 + 290 * random.NextDouble());
            double uplink = 1.25e6 * Math.Pow(100, random.NextDouble()); // 10 Mbit/s … 1 Gbit/s
            node = new SimulatedNode($"sim-{spawned++}", speed, roundTrip, uplink, time) { DeclaredSpeed = speed * (0.8 + 0.45 * random.NextDouble()) };
            nodes[node.Address] = node;
            if (churnPerHour > 0)
            {
                var life = TimeSpan.FromHours(-Math.Log(1 - random.NextDouble()) / churnPerHour);
                lock (timers) timers.Add(time.CreateTimer(_ => { node.Leave(); lock (random) Left++; }, null, life, Timeout.InfiniteTimeSpan));
            }
        }
        return node;
    }

    /// <summary>New nodes arrive as a Poisson process at churn × fleet size per hour.</summary>
    void ScheduleArrival(int fleetSize)
    {
        TimeSpan wait;
        lock (random) wait = TimeSpan.FromHours(-Math.Log(1 - random.NextDouble()) / (churnPerHour * fleetSize));
        lock (timers)
            timers.Add(time.CreateTimer(_ =>
            {
                var node = Spawn();
                lock (random) Joined++;
                Arrived?.Invoke(node.Address);
                ScheduleArrival(fleetSize);
            }, null, wait, Timeout.InfiniteTimeSpan));
    }
}
