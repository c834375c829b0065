import pytest

from local_runtime.template import Resolver, UnresolvableIntrinsic

RESOLVER = Resolver(
    refs={"Api": "abc123", "Fn": "fn-name"}, attributes={("Fn", "Arn"): "arn:aws:lambda:us-east-1:1:function:Fn"}
)


def test_ref_getatt_join_and_pseudo_parameters():
    value = {"Fn::Join": ["", ["x-", {"Ref": "Api"}, "-", {"Fn::GetAtt": ["Fn", "Arn"]}, "-", {"Ref": "AWS::Region"}]]}
    assert RESOLVER.resolve(value) == "x-abc123-arn:aws:lambda:us-east-1:1:function:Fn-us-east-1"


def test_sub_with_variables_pseudo_and_attributes():
    value = {
        "Fn::Sub": ["https://${Id}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${Fn.Arn}", {"Id": {"Ref": "Api"}}]
    }
    assert (
        RESOLVER.resolve(value)
        == "https://abc123.execute-api.us-east-1.amazonaws.com/arn:aws:lambda:us-east-1:1:function:Fn"
    )


def test_nested_structures_are_resolved_and_plain_values_kept():
    assert RESOLVER.resolve({"A": [{"Ref": "Fn"}, 1, "s"]}) == {"A": ["fn-name", 1, "s"]}


def test_unknown_references_and_intrinsics_fail_loudly():
    with pytest.raises(UnresolvableIntrinsic):
        RESOLVER.resolve({"Ref": "Missing"})
    with pytest.raises(UnresolvableIntrinsic):
        RESOLVER.resolve({"Fn::ImportValue": "x"})


def test_an_alias_resolves_to_its_functions_arn_with_the_alias_name():
    from local_runtime.template import function_aliases

    template = {
        "Resources": {
            "ApiFunction": {"Type": "AWS::Lambda::Function", "Properties": {}},
            "ApiLive": {
                "Type": "AWS::Lambda::Alias",
                "Properties": {"FunctionName": {"Ref": "ApiFunction"}, "FunctionVersion": "1", "Name": "live"},
            },
        }
    }
    assert function_aliases(template) == {"ApiLive": "arn:aws:lambda:us-east-1:123456789012:function:ApiFunction:live"}
