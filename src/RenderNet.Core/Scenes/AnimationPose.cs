namespace RenderNet.Core.Scenes;

/// <summary>A moment of one of a glTF file's animations: node TRS channels (linear, step, cubic) evaluated at <see cref="Time"/> seconds.</summary>
public sealed record AnimationPose(int Animation, float Time)
{
    public override string ToString() => $"animation {Animation} at {Time:0.###} s";
}
