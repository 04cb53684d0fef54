namespace OrleansSync.Demos.Photos;

/// <summary>One photo of a user's gallery (the demo draws it as a coloured tile).</summary>
public sealed record Photo(string Id, string Title, string Color, long AddedAt);

/// <summary>Body of <c>POST /demo/api/photos</c>.</summary>
public sealed record AddPhotoRequest(string? Title, string? Color);

/// <summary>Answer of <c>GET /demo/api/photos</c> (the full sync).</summary>
public sealed record PhotoList(IReadOnlyList<Photo> Photos);

/// <summary>The <c>added</c> event published to every tab of the owner.</summary>
public sealed record PhotoAdded(string Type, string Id, string Title, string Color, long AddedAt);

/// <summary>The <c>removed</c> event published to every tab of the owner.</summary>
public sealed record PhotoRemoved(string Type, string Id);

/// <summary>Body of a demo API error.</summary>
public sealed record DemoError(string Error, string Message);
