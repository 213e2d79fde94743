using System.Diagnostics;
using RenderNet.Core.Imaging;
using RenderNet.Client;
using RenderNet.Exr;
using Silk.NET.OpenGL;

namespace RenderNet.Viewer;

/// <summary>What the viewer was asked to do (see Program.cs for the options).</summary>
sealed record ViewerOptions(string? ScenePath, int Width, int Height, int SamplesPerPixel, int TileSize, int LocalNodes, bool Paid,
    string[] Nodes, string? Device, string? Screenshot, int Frames, bool SendView, bool Overlay, string SaveDirectory, float OrbitDegrees = 0,
    Uri? Service = null, string? ServiceToken = null, bool Denoise = false, string Passes = "albedo,normal,depth", string? Show = null);

/// <summary>
/// The viewer's window and frame loop: input moves the orbit camera and re-renders the preview; a key sends the view to
/// the render network through the engine client (RenderNet.Client), whose tile events (posted to this thread) are written straight into the
/// displayed texture, region by region, with the rendering node's colour in the overlay.
/// </summary>
sealed class ViewerApp : IDisposable
{
    readonly ViewerOptions options;
    readonly RenderScene scene;
    readonly PreviewRenderer preview;
    readonly OrbitCamera camera;
    readonly MainThreadQueue mainThread = new();
    readonly nint window;
    readonly GL gl;
    readonly ViewerCanvas canvas;
    readonly float[] shown; // what the window shows, linear RGBA32F: for saving
    readonly byte[] blankOverlay;
    readonly Dictionary<string, int> nodeColors = [];
    readonly Glfw.KeyCallback keyCallback;
    readonly Glfw.ScrollCallback scrollCallback;
    Task<RenderServiceClient>? farmStarting;
    RenderServiceClient? farm;
    string farmStatus = "starting the render network…";
    RenderJob? job;
    RenderProgress? progress;
    string jobStatus = "";
    int previewVersion = -1;
    bool previewCoarse, dragging;
    readonly Stopwatch sinceCameraMoved = Stopwatch.StartNew();
    bool overlay;
    bool sendRequested;
    double lastX, lastY;
    double scroll;
    readonly Queue<int> keys = new();
    bool denoise;
    /// <summary>What V cycles through after a network render: the beauty, then the passes of its EXR.</summary>
    readonly List<(string Name, float[] Pixels)> views = [];
    int viewIndex;
    bool loadingViews;

    public ViewerApp(ViewerOptions options, RenderScene scene, Core.Scenes.Scene loaded)
    {
        this.options = options;
        this.scene = scene;
        overlay = options.Overlay;
        denoise = options.Denoise;
        shown = new float[options.Width * options.Height * 4];
        blankOverlay = new byte[options.Width * options.Height * 4];
        preview = new PreviewRenderer(loaded, options.Device);
        camera = new OrbitCamera(loaded.ResolveCamera(null), loaded.Bounds());
        if (options.OrbitDegrees != 0) camera.Turn(options.OrbitDegrees * MathF.PI / 180, 0); // as if dragged before the first frame

        if (Glfw.Init() == 0) throw new InvalidOperationException("GLFW could not initialise: is there a display ($DISPLAY)? Headless, run under xvfb-run");
        Glfw.WindowHint(Glfw.ContextVersionMajor, 3);
        Glfw.WindowHint(Glfw.ContextVersionMinor, 3);
        Glfw.WindowHint(Glfw.OpenGlProfile, Glfw.OpenGlCoreProfile);
        Glfw.WindowHint(Glfw.OpenGlForwardCompat, 1);
        Glfw.WindowHint(Glfw.Resizable, 0); // one texel per pixel: the window is the render's size
        window = Glfw.CreateWindow(options.Width, options.Height, "RenderNet viewer", 0, 0);
        if (window == 0)
        {
            Glfw.Terminate();
            throw new InvalidOperationException("GLFW could not open an OpenGL 3.3 window");
        }
        Glfw.MakeContextCurrent(window);
        Glfw.SwapInterval(1);
        gl = GL.GetApi(Glfw.GetProcAddress);
        canvas = new ViewerCanvas(gl, options.Width, options.Height);
        // Kept in fields: GLFW holds only the function pointers.
        keyCallback = (_, key, _, action, _) => { if (action == Glfw.Press) keys.Enqueue(key); };
        scrollCallback = (_, _, y) => scroll += y;
        Glfw.SetKeyCallback(window, keyCallback);
        Glfw.SetScrollCallback(window, scrollCallback);
        SynchronizationContext.SetSynchronizationContext(mainThread);
    }

    /// <summary>Runs until the window closes (or the screenshot is taken); returns the exit code.</summary>
    public int Run()
    {
        if (options.Nodes.Length > 0 || options.LocalNodes > 0) farmStarting = StartFarmAsync();
        else farmStatus = "preview only (no render network)";
        if (options.SendView) sendRequested = true;
        int framesToScreenshot = options.Frames;
        var deadline = Stopwatch.StartNew();
        Glfw.GetCursorPos(window, out lastX, out lastY);
        while (Glfw.WindowShouldClose(window) == 0)
        {
            bool busy = job is not null || farmStarting is { IsCompleted: false } || sendRequested || loadingViews;
            if (busy) Glfw.PollEvents(); else Glfw.WaitEventsTimeout(0.05);
            mainThread.Drain();
            CheckFarm();
            HandleInput();
            if (sendRequested && farm is not null) SendView();
            else if (sendRequested && farmStarting is null) { sendRequested = false; jobStatus = "no render network to send the view to"; }
            // While the camera moves, a half-resolution preview keeps up with the mouse; the full one follows once it rests.
            if (camera.Version != previewVersion) ShowPreview(coarse: dragging);
            else if (previewCoarse && !dragging && sinceCameraMoved.ElapsedMilliseconds > 150) ShowPreview(coarse: false);

            Glfw.GetFramebufferSize(window, out int fbWidth, out int fbHeight);
            canvas.Draw(fbWidth, fbHeight, overlay, progress is { } p && job is not null ? (float)p.Fraction : 0);
            Glfw.SetWindowTitle(window, Title());

            if (options.Screenshot is { } path)
            {
                // Frames count once the view is on screen: after the job, when one was sent.
                bool waiting = options.SendView && (job is not null || sendRequested || loadingViews || farmStarting is { IsCompleted: false });
                if (!waiting && --framesToScreenshot <= 0)
                {
                    SaveScreenshot(path, fbWidth, fbHeight);
                    Glfw.SwapBuffers(window);
                    return jobStatus.StartsWith("failed") ? 1 : 0;
                }
                if (deadline.Elapsed > TimeSpan.FromMinutes(5))
                {
                    Console.Error.WriteLine($"rendernet-viewer: no screenshot after 5 minutes ({farmStatus}; {jobStatus})");
                    return 1;
                }
            }
            Glfw.SwapBuffers(window);
        }
        return 0;
    }

    // Not async: an await here would finish on the main thread, and Dispose waits for this task on that thread.
    // The network is a coordinator service: the one given (--service), else one started here with its nodes.
    Task<RenderServiceClient> StartFarmAsync() => options.Service is { } service
        ? RenderServiceClient.ConnectAsync(service, options.ServiceToken ?? "")
        : RenderServiceClient.StartLocalAsync(new LocalServiceOptions
        {
            Nodes = options.LocalNodes, NodeAddresses = options.Nodes.Length > 0 ? options.Nodes : null, Paid = options.Paid && options.Nodes.Length == 0, Device = options.Device,
        });

    void CheckFarm()
    {
        if (farm is not null || farmStarting is not { IsCompleted: true } started) return;
        if (started.IsCompletedSuccessfully)
        {
            farm = started.Result;
            var info = farm.GetServiceInfoAsync();
            farmStatus = info.Wait(TimeSpan.FromSeconds(10)) && info.IsCompletedSuccessfully
                ? $"{info.Result.Nodes} node(s)" + (info.Result.Payer is null ? "" : ", paid per tile")
                : $"service {farm.ServiceAddress}";
        }
        else
        {
            farmStatus = $"no render network: {started.Exception?.InnerException?.Message}";
            Console.Error.WriteLine($"rendernet-viewer: {farmStatus}");
            farmStarting = null;
            if (options.SendView) { jobStatus = "failed: no render network"; sendRequested = false; }
        }
    }

    void HandleInput()
    {
        while (keys.TryDequeue(out int key))
        {
            switch (key)
            {
                case Glfw.KeyEscape: Glfw.SetWindowShouldClose(window, 1); break;
                case 'R' or Glfw.KeyEnter: sendRequested = true; break;
                case 'O': overlay = !overlay; break;
                case 'S': Save(); break;
                case 'P': TogglePause(); break;
                case 'C': job?.Cancel(); break;
                case 'F': camera.Reset(); break;
                case 'V': if (views.Count > 0) { viewIndex = (viewIndex + 1) % views.Count; ShowView(); } break;
                case 'D': denoise = !denoise; jobStatus = $"denoising {(denoise ? "on" : "off")} for the next render"; break;
            }
        }
        Glfw.GetCursorPos(window, out double x, out double y);
        double dx = x - lastX, dy = y - lastY;
        (lastX, lastY) = (x, y);
        bool left = Glfw.GetMouseButton(window, Glfw.MouseButtonLeft) == Glfw.Press;
        bool pan = Glfw.GetMouseButton(window, Glfw.MouseButtonRight) == Glfw.Press || Glfw.GetMouseButton(window, Glfw.MouseButtonMiddle) == Glfw.Press
                   || (left && Glfw.GetKey(window, Glfw.KeyLeftShift) == Glfw.Press);
        int before = camera.Version;
        if ((dx != 0 || dy != 0) && pan) camera.Pan(dx, dy, options.Height);
        else if ((dx != 0 || dy != 0) && left) camera.Orbit(dx, dy, options.Height);
        bool scrolled = scroll != 0;
        if (scrolled)
        {
            camera.Zoom(scroll);
            scroll = 0;
        }
        dragging = left || pan || scrolled;
        if (camera.Version != before) sinceCameraMoved.Restart();
    }

    /// <summary>Re-renders the preview for the camera; a job for another view is called off (it would show the old view).</summary>
    void ShowPreview(bool coarse)
    {
        if (job is not null)
        {
            job.Cancel();
            job = null;
        }
        if (coarse) UpscaleIntoShown(preview.Render(camera.SceneCamera, options.Width / 2, options.Height / 2), options.Width / 2, options.Height / 2);
        else preview.Render(camera.SceneCamera, options.Width, options.Height).CopyTo(shown, 0);
        previewCoarse = coarse;
        canvas.UploadImage(0, 0, options.Width, options.Height, shown);
        canvas.UploadOverlay(0, 0, options.Width, options.Height, blankOverlay);
        previewVersion = camera.Version;
        progress = null;
        views.Clear();
    }

    /// <summary>A half-resolution preview blown up to the window, each pixel as a 2×2 block (odd edges repeat).</summary>
    void UpscaleIntoShown(float[] half, int halfWidth, int halfHeight)
    {
        for (int y = 0; y < options.Height; y++)
            for (int x = 0; x < options.Width; x++)
                half.AsSpan(4 * (Math.Min(y / 2, halfHeight - 1) * halfWidth + Math.Min(x / 2, halfWidth - 1)), 4).CopyTo(shown.AsSpan(4 * (y * options.Width + x)));
    }

    void SendView()
    {
        sendRequested = false;
        job?.Cancel();
        canvas.UploadOverlay(0, 0, options.Width, options.Height, blankOverlay);
        var request = new RenderRequest(scene)
        {
            Width = options.Width, Height = options.Height, SamplesPerPixel = options.SamplesPerPixel, TileSize = options.TileSize,
            View = camera.View, PixelFormat = RenderNet.Client.PixelFormat.Rgba32FloatLinear, Denoise = denoise,
        };
        foreach (var pass in options.Passes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)) request.Passes.Add(pass);
        var started = farm!.CreateJob(request);
        started.TileCompleted += tile => { if (job == started) ShowTile(tile); };
        started.ProgressChanged += p => { if (job == started) progress = p; };
        started.Completion.ContinueWith(t =>
        {
            if (job != started) return;
            jobStatus = t.Status switch
            {
                TaskStatus.RanToCompletion => $"done in {t.Result.Duration.TotalSeconds:F1} s, {t.Result.Cost} RNT",
                TaskStatus.Canceled => "cancelled",
                _ => $"failed: {t.Exception?.InnerException?.Message}",
            };
            if (t.IsFaulted) Console.Error.WriteLine($"rendernet-viewer: the render {jobStatus}");
            job = null;
            if (t.Status == TaskStatus.RanToCompletion) _ = ShowResultAsync(started, t.Result, request.Denoise);
        }, TaskScheduler.FromCurrentSynchronizationContext());
        job = started;
        jobStatus = "rendering";
        progress = null;
        started.Start(); // events come back to this thread through the main-thread queue
    }

    /// <summary>A tile from the network: its pixels into the image texture, its node's colour into the overlay.</summary>
    void ShowTile(RenderTile tile)
    {
        var image = tile.Image;
        var pixels = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(image.Pixels.Span);
        canvas.UploadImage(image.X, image.Y, image.Width, image.Height, pixels);
        for (int row = 0; row < image.Height; row++)
            pixels.Slice(row * image.Width * 4, image.Width * 4).CopyTo(shown.AsSpan(((image.Y + row) * options.Width + image.X) * 4));

        if (!nodeColors.TryGetValue(tile.Node, out int index)) nodeColors[tile.Node] = index = nodeColors.Count;
        var color = TimelineChart.ColorOf(index); // the same colours as `rendernet demo`'s timeline
        var marks = new byte[image.Width * image.Height * 4];
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
            {
                bool border = x < 2 || y < 2 || x >= image.Width - 2 || y >= image.Height - 2;
                int i = 4 * (y * image.Width + x);
                (marks[i], marks[i + 1], marks[i + 2], marks[i + 3]) = (color.R, color.G, color.B, border ? (byte)255 : (byte)48);
            }
        canvas.UploadOverlay(image.X, image.Y, image.Width, image.Height, marks);
    }

    /// <summary>
    /// The finished job: its frame (denoised when asked) replaces the assembled tiles, and the layers of its EXR become
    /// views for V. Runs on the main thread (its awaits come back through the main-thread queue).
    /// </summary>
    async Task ShowResultAsync(RenderJob finished, RenderResult result, bool denoised)
    {
        loadingViews = true;
        string status = jobStatus;
        try
        {
            views.Clear();
            var beauty = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(result.Frames[0].Pixels.Span).ToArray();
            views.Add((denoised ? "beauty (denoised)" : "beauty", beauty));
            foreach (var output in result.Outputs.Where(o => o.File.EndsWith(".exr", StringComparison.Ordinal)))
            {
                string path = Path.Combine(Path.GetTempPath(), $"rendernet-viewer-{Guid.NewGuid():N}.exr");
                try
                {
                    using (var file = File.Create(path)) await farm!.DownloadOutputAsync(finished.Id, output.File, file);
                    views.AddRange(PassViews.FromExr(ExrReader.Read(path)));
                }
                finally { File.Delete(path); }
            }
            viewIndex = 0;
            if (options.Show is { } wanted)
            {
                viewIndex = views.FindIndex(v => v.Name == wanted || v.Name.StartsWith(wanted + " ", StringComparison.Ordinal));
                if (viewIndex < 0)
                {
                    viewIndex = 0;
                    status = $"failed: the render has no '{wanted}' view (it has {string.Join(", ", views.Select(v => v.Name))})";
                    Console.Error.WriteLine($"rendernet-viewer: {status}");
                }
            }
            jobStatus = status;
            ShowView();
        }
        catch (Exception ex) when (ex is IOException or RenderServiceException or ExrException or ExrUnavailableException)
        {
            jobStatus = $"failed: the render's passes could not be read: {ex.Message}";
            Console.Error.WriteLine($"rendernet-viewer: {jobStatus}");
        }
        finally { loadingViews = false; }
    }

    void ShowView()
    {
        var (name, pixels) = views[viewIndex];
        pixels.CopyTo(shown, 0);
        canvas.UploadImage(0, 0, options.Width, options.Height, shown); // the tile overlay stays: O toggles it
        if (!jobStatus.StartsWith("failed", StringComparison.Ordinal))
            jobStatus = $"{jobStatus.Split(" · view ")[0]} · view {name} ({viewIndex + 1}/{views.Count})";
    }

    void TogglePause()
    {
        if (job is null) return;
        _ = job.State == RenderJobState.Paused ? job.ResumeAsync() : job.PauseAsync(); // the state event follows
    }

    void Save()
    {
        Directory.CreateDirectory(options.SaveDirectory);
        var path = Path.Combine(options.SaveDirectory, $"rendernet-{DateTime.Now:yyyyMMdd-HHmmss}.png");
        ImageWriter.Write(new FloatImage(options.Width, options.Height, (float[])shown.Clone()), path, ImageFormat.Png8);
        jobStatus = $"saved {path}";
        Console.Error.WriteLine($"rendernet-viewer: saved {path}");
    }

    void SaveScreenshot(string path, int width, int height)
    {
        var pixels = canvas.ReadBackBuffer(width, height);
        using var image = SixLabors.ImageSharp.Image.LoadPixelData<SixLabors.ImageSharp.PixelFormats.Rgba32>(pixels, width, height);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        SixLabors.ImageSharp.ImageExtensions.SaveAsPng(image, path);
        Console.Error.WriteLine($"rendernet-viewer: screenshot {path} ({width}x{height}); {jobStatus}");
    }

    string Title()
    {
        string state = job is null ? jobStatus : progress is { } p
            ? $"{job.State.ToString().ToLowerInvariant()}: tiles {p.TilesDone}/{p.TilesTotal} · {p.Cost} RNT · ETA {p.Eta?.TotalSeconds:F0} s"
            : job.State.ToString().ToLowerInvariant();
        return $"RenderNet viewer — {scene.Name} · {farmStatus} · {state} · [drag] orbit [right/shift-drag] pan [wheel] zoom [R] render [O] overlay [P] pause [C] cancel [S] save [F] reset [V] next pass [D] denoise ({(denoise ? "on" : "off")})";
    }

    public void Dispose()
    {
        job?.Cancel();
        canvas.Dispose();
        preview.Dispose();
        Glfw.DestroyWindow(window);
        Glfw.Terminate();
        farm?.Dispose();
        if (farm is null && farmStarting is { } starting)
        {
            // Nodes that are still starting are stopped once they are up.
            try { starting.Wait(TimeSpan.FromSeconds(60)); starting.Result.Dispose(); } catch (AggregateException) { }
        }
    }
}
