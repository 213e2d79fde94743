using System.Diagnostics;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using RenderNet.Core.Tiles;
using RenderNet.Protocol;

namespace RenderNet.Farm.Tests;

[Collection("farm")]
public class NodeLifecycleTests
{
    [System.Runtime.InteropServices.DllImport("libc")]
    static extern int kill(int pid, int signal);

    [Fact]
    public async Task On_sigterm_a_node_finishes_the_tile_in_flight_refuses_new_ones_and_exits()
    {
        using var node = new NodeProcess();
        using var client = new NodeClient(node.Address);
        await client.EnsureSceneAsync(Jobs.Sha, Jobs.Glb, DateTime.UtcNow.AddMinutes(1), default);
        var tile = new TileRect(0, 0, 48, 48);
        var slow = client.RenderTileAsync(FrameMessages.ToRequest(Jobs.Sha, Jobs.Frame(48, 48, 64), tile, "drain", 0), DateTime.UtcNow.AddMinutes(2), default);
        // Wait until the node reports the tile in flight, then ask it to stop.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await client.HealthAsync(TimeSpan.FromSeconds(5), default)).TilesInFlight == 0 && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Equal(0, kill(node.Pid, 15));

        var result = await slow; // finished, not dropped
        Assert.Equal(48 * 48 * 4, TilePixels.Decode(result, tile).Length);
        // Idle client connections do not hold it up: it exits as soon as the tile is delivered.
        Assert.True(node.WaitForExit(TimeSpan.FromSeconds(8)), "the node did not exit promptly after draining");
        await Assert.ThrowsAsync<RpcException>(() => client.HealthAsync(TimeSpan.FromSeconds(2), default));
    }

    [Fact]
    public async Task A_node_with_a_certificate_serves_over_tls()
    {
        string dir = Directory.CreateTempSubdirectory("rendernet-tls").FullName;
        try
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(System.Net.IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
            using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            string pfx = Path.Combine(dir, "node.pfx");
            File.WriteAllBytes(pfx, cert.Export(X509ContentType.Pfx));

            using var node = new NodeProcess(null, "--cert", pfx, "--node-id", "tls-node");
            // Trust exactly this certificate (pinning), as a studio would for its own fleet.
            var handler = new SocketsHttpHandler
            {
                SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, c, _, _) => c?.GetCertHashString() == cert.GetCertHashString() },
            };
            // Its address carries the certificate's fingerprint (https://host:port#sha256=…).
            Assert.Equal($"#sha256={Convert.ToHexStringLower(SHA256.HashData(cert.RawData))}", node.Address[node.Address.IndexOf('#')..]);
            string url = node.Address[..node.Address.IndexOf('#')];
            using var client = new NodeClient(url, handler);
            var caps = await client.GetCapabilitiesAsync(TimeSpan.FromSeconds(10), default);
            Assert.Equal("tls-node", caps.NodeId);
            using var pinned = new NodeClient(node.Address); // the address as printed pins the same certificate
            Assert.Equal("tls-node", (await pinned.GetCapabilitiesAsync(TimeSpan.FromSeconds(10), default)).NodeId);

            // Plain HTTP/2 to a TLS port does not get through.
            using var plain = new NodeClient(url["https://".Length..]);
            await Assert.ThrowsAsync<RpcException>(() => plain.GetCapabilitiesAsync(TimeSpan.FromSeconds(5), default));
        }
        finally { Directory.Delete(dir, true); }
    }
}
