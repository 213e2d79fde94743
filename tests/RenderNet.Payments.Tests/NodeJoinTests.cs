namespace RenderNet.Payments.Tests;

public class NodeJoinTests
{
    const string Key = "0x4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d";
    static readonly byte[] Nonce = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    [Fact]
    public void A_join_recovers_to_the_nodes_address_only_for_the_same_service_challenge_and_connection()
    {
        var binding = NodeJoin.BindingOf([1, 2, 3]);
        var join = new NodeJoin("rendernet-service-a", Nonce, binding);
        string signature = join.Sign(Key);
        Assert.Null(VoucherSignature.Problem(signature)); // canonical: low s, v 27/28
        Assert.Equal(PaymentKeys.AddressOf(Key), join.RecoverSigner(signature), ignoreCase: true);

        // Relayed to another service, answering another challenge, or made over another TLS connection: someone else.
        string address = PaymentKeys.AddressOf(Key);
        Assert.NotEqual(address, (join with { Service = "rendernet-service-b" }).RecoverSigner(signature), StringComparer.OrdinalIgnoreCase);
        var otherNonce = (byte[])Nonce.Clone();
        otherNonce[0] ^= 1;
        Assert.NotEqual(address, (join with { Nonce = otherNonce }).RecoverSigner(signature), StringComparer.OrdinalIgnoreCase);
        Assert.NotEqual(address, (join with { ChannelBinding = NodeJoin.BindingOf(null) }).RecoverSigner(signature), StringComparer.OrdinalIgnoreCase);
    }

    [Fact]
    public void Malformed_or_malleated_join_signatures_recover_no_one()
    {
        var join = new NodeJoin("s", Nonce, NodeJoin.BindingOf(null));
        var voucher = new Voucher(1, 1, 1, join.Sign(Key));
        Assert.Null(join.RecoverSigner(Malleate.HighS(voucher).Signature));
        Assert.Null(join.RecoverSigner(Malleate.LowV(voucher).Signature));
        Assert.Null(join.RecoverSigner("0x1234"));
        Assert.Null((join with { Nonce = [1, 2, 3] }).RecoverSigner(voucher.Signature));
        Assert.Equal(new byte[32], NodeJoin.BindingOf(null));
        Assert.Throws<ArgumentException>(() => (join with { ChannelBinding = [] }).Sign(Key));
    }
}
