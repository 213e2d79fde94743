using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using RenderNet.Client;

namespace UnityStandIn
{
    /// <summary>
    /// What a studio's engine script does with RenderNet: start a local service, render a small frame, take every tile
    /// on the engine's main thread (as a texture upload would) and save the frame. The host's thread is the "main
    /// thread": it pumps a single-threaded SynchronizationContext the way an engine's frame loop does.
    /// </summary>
    public static class RenderScript
    {
        /// <summary>Renders the sample scene (64×48, 4 spp, 16-pixel tiles) on <paramref name="nodes"/> local nodes; returns a one-line report.</summary>
        public static string Run(string serviceProgram, string outputPng, int nodes)
        {
            var loop = new MainLoop();
            var previous = SynchronizationContext.Current;
            SynchronizationContext.SetSynchronizationContext(loop);
            try
            {
                int mainThread = Thread.CurrentThread.ManagedThreadId;
                int tiles = 0, offThread = 0;
                var task = RenderAsync(serviceProgram, outputPng, nodes, tile =>
                {
                    tiles++;
                    if (Thread.CurrentThread.ManagedThreadId != mainThread) offThread++;
                });
                loop.RunUntil(task); // the engine's frame loop keeps running while the render goes on
                var result = task.GetAwaiter().GetResult();
                return $"tiles={tiles} offThread={offThread} frames={result.Frames.Count} cost={result.Cost} runtime={Environment.Version}";
            }
            finally
            {
                SynchronizationContext.SetSynchronizationContext(previous);
            }
        }

        static async Task<RenderResult> RenderAsync(string serviceProgram, string outputPng, int nodes, Action<RenderTile> onTile)
        {
            var options = new LocalServiceOptions { Nodes = nodes, Paid = false, SpotCheckRate = 0, ServiceProgram = serviceProgram };
            using var client = await RenderServiceClient.StartLocalAsync(options);
            var request = new RenderRequest(RenderScene.Sample()) { Width = 64, Height = 48, SamplesPerPixel = 4, MaxBounces = 4, TileSize = 16 };
            var job = client.CreateJob(request);
            job.TileCompleted += onTile;
            job.Start();
            var result = await job.Completion;
            result.Frames[0].SavePng(outputPng);
            return result;
        }

        /// <summary>An engine's main thread in miniature: runs posted work in order, on the thread that pumps it.</summary>
        sealed class MainLoop : SynchronizationContext
        {
            readonly Queue<KeyValuePair<SendOrPostCallback, object?>> queue = new Queue<KeyValuePair<SendOrPostCallback, object?>>();
            readonly AutoResetEvent posted = new AutoResetEvent(false);

            public override void Post(SendOrPostCallback d, object? state)
            {
                lock (queue) queue.Enqueue(new KeyValuePair<SendOrPostCallback, object?>(d, state));
                posted.Set();
            }

            public void RunUntil(Task task)
            {
                var deadline = DateTime.UtcNow.AddMinutes(5);
                while (!task.IsCompleted)
                {
                    if (DateTime.UtcNow > deadline) throw new TimeoutException("the render did not finish within 5 minutes");
                    posted.WaitOne(50);
                    while (true)
                    {
                        KeyValuePair<SendOrPostCallback, object?> next;
                        lock (queue)
                        {
                            if (queue.Count == 0) break;
                            next = queue.Dequeue();
                        }
                        next.Key(next.Value);
                    }
                }
            }
        }
    }
}
