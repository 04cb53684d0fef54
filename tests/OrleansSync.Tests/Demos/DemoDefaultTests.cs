using System.Net;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Demos;

/// <summary>
/// The demo pages and their API are sample applications: served in Development, off elsewhere (Production
/// included) unless <c>Demos:Enabled=true</c>, and off anywhere with <c>Demos:Enabled=false</c>.
/// </summary>
public sealed class DemoDefaultTests
{
    [Theory]
    [InlineData("Production", null, false)]
    [InlineData("Staging", null, false)]
    [InlineData("Production", "true", true)]
    [InlineData("Development", null, true)]
    [InlineData("Development", "false", false)]
    public async Task Demo_pages_are_served_in_Development_or_when_enabled(string environment, string? setting, bool served)
    {
        var overrides = new List<(string, string)> { ("environment", environment) };
        if (setting is not null)
        {
            overrides.Add(("Demos:Enabled", setting));
        }
        await using var node = await TestNode.StartAsync([.. overrides]);
        var expected = served ? HttpStatusCode.OK : HttpStatusCode.NotFound;
        foreach (var page in new[] { "/demo", "/demo/photos", "/demo/chat", "/demo/assets/photos.js" })
        {
            using var response = await node.Http.GetAsync(page);
            Assert.True(response.StatusCode == expected, $"{page} answered {(int)response.StatusCode} in {environment} with Demos:Enabled={setting ?? "unset"}");
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, "/demo/api/photos/");
        request.Headers.Authorization = new("Bearer", TestTokens.For("demo-user"));
        using var api = await node.Http.SendAsync(request);
        Assert.Equal(expected, api.StatusCode);
        // The node itself serves either way.
        Assert.Equal("ok", await node.Http.GetStringAsync("/healthz"));
    }
}
