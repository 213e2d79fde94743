using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using RenderNet.Core.Tiles;
using RenderNet.Protocol;

namespace RenderNet.Farm.Tests;

/// <summary>A node refuses bad requests with a clear gRPC status.</summary>
[Collection("farm")]
public class NodeProtocolTests
{
    static RenderNode.RenderNodeClient Client(NodeProcess node) =>
        new(GrpcChannel.ForAddress("http://" + node.Address));

    static TileRequest Request(TileRect tile) =>
        FrameMessages.ToRequest(Jobs.Sha, Jobs.Frame(32, 24, 1), tile, "test", 0);

    [Fact]
    public async Task Requests_are_checked_with_clear_statuses()
    {
        using var node = new NodeProcess(null, "--max-scene-mb", "0");
        var client = Client(node);

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await client.GetCapabilitiesAsync(new CapabilitiesRequest { ProtocolVersion = 99 }));
        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Contains("protocol version 99 is not supported", ex.Status.Detail);

        ex = await Assert.ThrowsAsync<RpcException>(async () => await client.RenderTileAsync(Request(new TileRect(0, 0, 8, 8))));
        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Contains("is not cached on this node", ex.Status.Detail);

        using var upload = client.UploadScene();
        await upload.RequestStream.WriteAsync(new SceneChunk
        {
            ProtocolVersion = ProtocolVersion.Current, Sha256 = Jobs.Sha, TotalBytes = (ulong)Jobs.Glb.Length, Offset = 0,
            Data = ByteString.CopyFrom(Jobs.Glb.AsSpan(0, 1000)),
        });
        ex = await Assert.ThrowsAsync<RpcException>(async () => { await upload.RequestStream.CompleteAsync(); await upload.ResponseAsync; });
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Contains("exceeds this node's limit", ex.Status.Detail);
    }

    [Fact]
    public async Task A_tile_outside_the_frame_and_a_tampered_upload_are_refused()
    {
        using var node = new NodeProcess();
        using var farmClient = new NodeClient(node.Address);
        Assert.True(await farmClient.EnsureSceneAsync(Jobs.Sha, Jobs.Glb, DateTime.UtcNow.AddMinutes(1), default));
        Assert.False(await farmClient.EnsureSceneAsync(Jobs.Sha, Jobs.Glb, DateTime.UtcNow.AddMinutes(1), default)); // cached: sent once per node
        var client = Client(node);

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await client.RenderTileAsync(Request(new TileRect(30, 0, 8, 8))));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("outside the 32x24 frame", ex.Status.Detail);

        var tampered = (byte[])Jobs.Glb.Clone();
        tampered[^1] ^= 1;
        using var upload = client.UploadScene();
        await upload.RequestStream.WriteAsync(new SceneChunk
        {
            ProtocolVersion = ProtocolVersion.Current, Sha256 = new string('a', 64), TotalBytes = (ulong)tampered.Length, Offset = 0,
            Data = ByteString.CopyFrom(tampered),
        });
        await upload.RequestStream.CompleteAsync();
        ex = await Assert.ThrowsAsync<RpcException>(async () => await upload.ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("not the announced", ex.Status.Detail);

        // A good tile comes back with a hash that matches its pixels.
        var result = await client.RenderTileAsync(Request(new TileRect(8, 8, 8, 8)));
        Assert.Equal(64 * 4, TilePixels.Decode(result, new TileRect(8, 8, 8, 8)).Length);
        // The node logs the tile after answering it; read its output until the line arrives (with a deadline).
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!node.Output.Any(IsOkLine) && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Contains(node.Output, IsOkLine);

        static bool IsOkLine(string line) => line.Contains("outcome=ok") || line.Contains("\"Outcome\":\"ok\"");
    }

    [Fact]
    public async Task An_outdated_node_is_refused_by_the_coordinator()
    {
        using var old = new NodeProcess("OldProtocol");
        var ex = await Assert.ThrowsAsync<NoUsableNodeException>(() => new TileFarm(Jobs.Spec(Jobs.Frame(16, 16, 1), 16), Jobs.Fast).RunAsync([old.Address]));
        Assert.Contains("protocol version 1 is not supported by this node (it speaks version 0)", ex.Message);
    }
}
