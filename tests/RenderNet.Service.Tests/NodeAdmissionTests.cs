namespace RenderNet.Service.Tests;

public class NodeAdmissionTests
{
    [Fact]
    public void Any_admits_every_key_and_a_list_only_its_addresses_whatever_their_case()
    {
        Assert.Null(NodeAdmission.Parse("any").Refusal("0x1111111111111111111111111111111111111111"));
        var pool = NodeAdmission.Parse("0xAbCdEf0000000000000000000000000000000001, 0x2222222222222222222222222222222222222222");
        Assert.Null(pool.Refusal("0xabcdef0000000000000000000000000000000001"));
        Assert.Equal("0x3333333333333333333333333333333333333333 is not among the nodes this service accepts", pool.Refusal("0x3333333333333333333333333333333333333333"));
    }

    [Theory]
    [InlineData("everyone", "'everyone' is neither 'any' nor an address")]
    [InlineData("0x12", "'0x12' is neither 'any' nor an address")]
    [InlineData(" , ", "needs 'any' or at least one address")]
    public void A_bad_admission_list_names_the_entry(string text, string message) =>
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => NodeAdmission.Parse(text)).Message);
}
