using System.Numerics;
using RenderNet.Core.Rendering;
using RenderNet.Core.Scenes;
using RenderNet.Core.Tiles;

namespace RenderNet.Protocol.Tests;

public class TileCodecTests
{
    static float[] Pixels(TileRect t) => Enumerable.Range(0, t.PixelCount * 4).Select(i => MathF.Sin(i) * 3).ToArray();

    static TileResult Encode(TileRect t, float[] pixels) => new()
    {
        Width = (uint)t.Width, Height = (uint)t.Height, PixelsSha256 = TilePixels.Sha256(pixels), PixelsZlib = TilePixels.Compress(pixels),
    };

    [Fact]
    public void Pixels_round_trip_bit_exactly()
    {
        var tile = new TileRect(3, 4, 17, 13);
        var pixels = Pixels(tile);
        pixels[5] = float.NaN;
        pixels[6] = -0f;
        var back = TilePixels.Decode(Encode(tile, pixels), tile);
        Assert.Equal(pixels.Select(BitConverter.SingleToUInt32Bits), back.Select(BitConverter.SingleToUInt32Bits));
    }

    [Fact]
    public void Wrong_size_garbage_and_bad_hashes_are_named()
    {
        var tile = new TileRect(0, 0, 8, 8);
        var result = Encode(tile, Pixels(tile));
        Assert.Contains("came back as 8x8", Assert.Throws<InvalidDataException>(() => TilePixels.Decode(result, new TileRect(0, 0, 8, 9))).Message);

        var garbage = result.Clone();
        garbage.PixelsZlib = Google.Protobuf.ByteString.CopyFrom([1, 2, 3, 4, 5]);
        Assert.Contains("cannot be decoded", Assert.Throws<InvalidDataException>(() => TilePixels.Decode(garbage, tile)).Message);

        var lying = result.Clone();
        lying.PixelsSha256 = new string('f', 64);
        Assert.Contains("claimed", Assert.Throws<InvalidDataException>(() => TilePixels.Decode(lying, tile)).Message);

        var longer = Encode(new TileRect(0, 0, 8, 9), Pixels(new TileRect(0, 0, 8, 9)));
        longer.Width = 8; longer.Height = 8;
        Assert.Contains("more than", Assert.Throws<InvalidDataException>(() => TilePixels.Decode(longer, tile)).Message);
    }

    [Fact]
    public void A_tiles_sample_count_must_be_what_its_settings_allow()
    {
        var camera = new SceneCamera("cam", Matrix4x4.Identity, ProjectionKind.Perspective, 0.7f, null, 0.05f, null, 0, 0);
        var tile = new TileRect(0, 0, 10, 4); // 40 pixels
        var fixedSpp = new FrameSettings { Width = 10, Height = 4, Camera = camera, SamplesPerPixel = 16 };
        Assert.Equal(640, TileSamples.Check(fixedSpp, tile, 640));
        Assert.Equal("tile 10x4@0,0: the node reports 641 pixel-samples, but the tile takes exactly 640",
            Assert.Throws<InvalidDataException>(() => TileSamples.Check(fixedSpp, tile, 641)).Message);

        var adaptive = fixedSpp with { NoiseThreshold = 0.01f, MinSamplesPerPixel = 4 };
        Assert.Equal((160, 640), TileSamples.Range(adaptive, tile));
        Assert.Equal(161, TileSamples.Check(adaptive, tile, 161));
        Assert.Contains("outside the 160…640 adaptive sampling allows", Assert.Throws<InvalidDataException>(() => TileSamples.Check(adaptive, tile, 159)).Message);
        Assert.Throws<InvalidDataException>(() => TileSamples.Check(adaptive, tile, ulong.MaxValue));

        // Rasterised (and AOV) tiles take one sample a pixel, whatever the spp says.
        Assert.Equal((40, 40), TileSamples.Range(fixedSpp with { Mode = RenderMode.Raster }, tile));
        Assert.Equal((40, 40), TileSamples.Range(fixedSpp with { Output = RenderOutput.PrimaryHit }, tile));
    }

    [Fact]
    public void Frames_and_cameras_survive_the_wire()
    {
        var camera = new SceneCamera("cam", Matrix4x4.CreateRotationY(0.3f) * Matrix4x4.CreateTranslation(1, 2, 3), ProjectionKind.Perspective, 0.7f, null, 0.05f, null, 0, 0);
        var frame = new FrameSettings
        {
            Width = 100, Height = 75, Camera = camera, SamplesPerPixel = 9, MaxBounces = 4, Seed = 77, Background = new Vector3(0.1f, 0.2f, 0.3f),
            NoiseThreshold = 0.02f, MinSamplesPerPixel = 4,
        };
        var request = FrameMessages.ToRequest("abc", frame, new TileRect(17, 13, 17, 13), "job", 5);
        var (back, tile) = FrameMessages.FromRequest(TileRequest.Parser.ParseFrom(Google.Protobuf.MessageExtensions.ToByteArray(request)));
        Assert.Equal(new TileRect(17, 13, 17, 13), tile);
        Assert.Equal((frame.Width, frame.Height, frame.SamplesPerPixel, frame.MaxBounces, frame.Seed, frame.Background, frame.NoiseThreshold, frame.MinSamplesPerPixel),
            (back.Width, back.Height, back.SamplesPerPixel, back.MaxBounces, back.Seed, back.Background, back.NoiseThreshold, back.MinSamplesPerPixel));
        // What decides rays must be identical, to the bit.
        Assert.Equal(CameraRays.For(camera, 100, 75), CameraRays.For(back.Camera, 100, 75));
    }

    [Fact]
    public void Render_passes_travel_and_size_the_tile_the_receiver_expects()
    {
        var camera = new SceneCamera("cam", Matrix4x4.Identity, ProjectionKind.Perspective, 0.7f, null, 0.05f, null, 0, 0);
        var frame = new FrameSettings { Width = 32, Height = 24, Camera = camera, Passes = RenderPasses.Albedo | RenderPasses.Depth };
        var request = FrameMessages.ToRequest("a", frame, new TileRect(0, 0, 8, 8), "j", 0);
        var (back, _) = FrameMessages.FromRequest(TileRequest.Parser.ParseFrom(Google.Protobuf.MessageExtensions.ToByteArray(request)));
        Assert.Equal(RenderPasses.Albedo | RenderPasses.Depth, back.Passes);
        Assert.Equal(8, back.FloatsPerPixel);   // RGBA + albedo RGB + depth

        // The receiver decodes exactly what the frame's passes make: a node that leaves them out is refused.
        var tile = new TileRect(0, 0, 8, 8);
        var withPasses = Enumerable.Range(0, tile.PixelCount * 8).Select(i => (float)i).ToArray();
        Assert.Equal(withPasses, TilePixels.Decode(Encode(tile, withPasses), tile, 8));
        var beautyOnly = withPasses[..(tile.PixelCount * 4)];
        Assert.Throws<InvalidDataException>(() => TilePixels.Decode(Encode(tile, beautyOnly), tile, 8));
        Assert.Throws<InvalidDataException>(() => TilePixels.Decode(Encode(tile, withPasses), tile, 4));

        request.Passes = 1u << 20;
        Assert.StartsWith("render passes 0x100000 include unknown passes", Assert.Throws<ArgumentException>(() => FrameMessages.FromRequest(request)).Message);
        request.Passes = (uint)RenderPasses.Albedo;
        request.RenderMode = 1;
        Assert.Contains("need the path tracer's radiance output", Assert.Throws<ArgumentException>(() => FrameMessages.FromRequest(request)).Message);
    }

    [Fact]
    public void Invalid_frames_and_tiles_are_refused()
    {
        var camera = new SceneCamera("cam", Matrix4x4.Identity, ProjectionKind.Perspective, 0.7f, null, 0.05f, null, 0, 0);
        var frame = new FrameSettings { Width = 32, Height = 24, Camera = camera };
        Assert.Contains("outside", Assert.Throws<ArgumentException>(() => FrameMessages.FromRequest(FrameMessages.ToRequest("a", frame, new TileRect(30, 0, 8, 8), "j", 0))).Message);
        var zeroSpp = FrameMessages.ToRequest("a", frame, new TileRect(0, 0, 8, 8), "j", 0);
        zeroSpp.SamplesPerPixel = 0;
        Assert.Contains("samples per pixel", Assert.Throws<ArgumentException>(() => FrameMessages.FromRequest(zeroSpp)).Message);
        var noisy = FrameMessages.ToRequest("a", frame, new TileRect(0, 0, 8, 8), "j", 0);
        noisy.NoiseThreshold = float.NaN;
        Assert.Equal("noise threshold must be between 0 (off) and 1, got NaN", Assert.Throws<ArgumentException>(() => FrameMessages.FromRequest(noisy)).Message);
        noisy.NoiseThreshold = 0.01f;
        noisy.MinSamplesPerPixel = uint.MaxValue;
        Assert.StartsWith("minimum samples per pixel must be between 0 (default) and the 16 samples per pixel", Assert.Throws<ArgumentException>(() => FrameMessages.FromRequest(noisy)).Message);
        var noCamera = FrameMessages.ToRequest("a", frame, new TileRect(0, 0, 8, 8), "j", 0);
        noCamera.Camera = null;
        Assert.Throws<ArgumentException>(() => FrameMessages.FromRequest(noCamera));
    }

    [Fact]
    public void N5_rendition_names_that_could_be_paths_are_refused()
    {
        var spec = new Core.Media.SegmentSpec(64, 48, "yuv420p", null, null, new Core.Media.FrameRate(24, 1), 0, 12, [new Core.Media.Rendition("48p", 64, 48)]);
        foreach (var name in new[] { "../../etc/x", "a/b", "", new string('a', 33), "x\u0000" })
        {
            var header = SegmentMessages.ToHeader(spec, "job", 0, 10, new string('0', 64), "");
            header.Renditions[0].Name = name;
            var ex = Assert.Throws<ArgumentException>(() => SegmentMessages.FromHeader(header));
            Assert.Contains("must be 1-32 letters, digits, '_' or '-'", ex.Message);
        }
    }

    [Fact]
    public void Segment_headers_carry_the_encoder_threads_and_refuse_absurd_counts()
    {
        var spec = new Core.Media.SegmentSpec(64, 48, "yuv420p", null, null, new Core.Media.FrameRate(24, 1), 0, 12, [new Core.Media.Rendition("48p", 64, 48)], EncoderThreads: 6);
        var header = SegmentMessages.ToHeader(spec, "job", 0, 10, new string('0', 64), "");
        Assert.Equal(6, SegmentMessages.FromHeader(header).EncoderThreads);
        header.EncoderThreads = 0; // a coordinator from before the field: the count it used
        Assert.Equal(Core.Media.TranscodeParallelism.DefaultEncoderThreads, SegmentMessages.FromHeader(header).EncoderThreads);
        header.EncoderThreads = 17;
        Assert.Equal("encoder threads 17 is out of range (1–16)", Assert.Throws<ArgumentException>(() => SegmentMessages.FromHeader(header)).Message);
        header.EncoderThreads = uint.MaxValue;
        Assert.StartsWith("encoder threads 4294967295 is out of range", Assert.Throws<ArgumentException>(() => SegmentMessages.FromHeader(header)).Message);
    }
}
