using OrleansSync.Delivery;
using Xunit;

namespace OrleansSync.Tests.Delivery;

/// <summary>Socket and session ids are bearer secrets: 32 hex characters carrying 128 random bits.</summary>
public sealed class IdsTests
{
    public static TheoryData<string> Kinds() => new() { "socket", "session" };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Secret_ids_are_32_lowercase_hex_characters_with_no_fixed_bits(string kind)
    {
        Func<string> next = kind == "socket" ? Ids.NewSocketId : Ids.NewSessionId;
        var ids = Enumerable.Range(0, 256).Select(_ => next()).ToArray();
        Assert.All(ids, id => Assert.Matches("^[0-9a-f]{32}$", id));
        Assert.Equal(ids.Length, ids.Distinct().Count());
        // A v4 GUID fixes six bits (the version nibble at 12 is always '4', the variant at 16 is 8-b); with 128
        // random bits every position takes many values over 256 ids (a fixed one here has odds of 16^-255).
        for (var position = 0; position < 32; position++)
        {
            Assert.True(ids.Select(id => id[position]).Distinct().Count() > 4, $"{kind} ids barely vary at position {position}");
        }
    }
}
